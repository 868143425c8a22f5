using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CustomModels.Api.Auth;
using CustomModels.Api.Errors;
using CustomModels.Api.Hosting;
using CustomModels.Core;
using CustomModels.Core.Data;
using CustomModels.Core.Listing;
using CustomModels.Core.Models;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CustomModels.Api.Models;

/// <summary>`/api/v3/custom_models`: list, create, get, update, delete.</summary>
public static class ModelsApi
{
    public static IEndpointRouteBuilder MapCustomModels(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v3/custom_models").WithTags("Custom models");
        group.MapGet("", List).RequireAuthorization(Scopes.ModelsRead).Produces<ModelListResponse>()
            .WithSummary("List the organization's custom models, id ascending");
        group.MapPost("", Create).RequireAuthorization(Scopes.ModelsWrite)
            .Accepts<CreateModelRequest>("application/json").WithSummary("Create a custom model");
        group.MapGet("{id}", Get).RequireAuthorization(Scopes.ModelsRead).WithSummary("Get one custom model");
        group.MapMethods("{id}", [HttpMethods.Post, HttpMethods.Put, HttpMethods.Patch], Update)
            .RequireAuthorization(Scopes.ModelsWrite)
            .Accepts<UpdateModelRequest>("application/json").WithSummary("Update name and/or description");
        group.MapDelete("{id}", Delete).RequireAuthorization(Scopes.ModelsWrite)
            .WithSummary("Delete a custom model with its data, artifacts and training");
        return app;
    }

    public static async Task<Results<ModelPageResult, ApiError>> List(HttpContext context, AppDbContext db, PreparedReads reads)
    {
        var (query, errors) = ListQuery.Parse(context.Request.Query);
        if (query is null) return ApiError.InvalidQuery(errors);
        var org = CurrentKey.Get(context).OrganizationId;

        var offset = (long)(query.Page - 1) * query.PerPage;
        var page = await ModelListing.WritePageAsync(
            db, reads, org, new ModelFilter(query.Status, query.Language, query.BaseModel), offset, query.PerPage, context.RequestAborted);
        return new ModelPageResult(page);
    }

    public static async Task<Results<Created<ModelResponse>, ApiError>> Create(HttpContext context, AppDbContext db, TimeProvider time)
    {
        var (body, error) = await JsonBody.ReadObjectAsync(context.Request);
        if (body is null) return error!;

        var errors = new Dictionary<string, string>();
        var name = ReadName(body, errors, required: true);
        var description = ReadDescription(body, errors, out _);
        JsonBody.TryGetString(body, "language", errors, out var language, out _);
        if (language is null) errors.TryAdd("language", "Required");
        else if (!Catalog.IsLanguage(language)) errors["language"] = "Must be one of: " + string.Join(", ", Catalog.Languages);
        JsonBody.TryGetString(body, "base_model", errors, out var baseModel, out _);
        if (baseModel is not null && !Catalog.IsBaseModel(baseModel))
            errors["base_model"] = "Must be one of: " + string.Join(", ", Catalog.BaseModels);
        if (errors.Count > 0) return ApiError.InvalidBody(errors);

        var now = time.UtcNowToSecond();
        var model = new CustomModel
        {
            OrganizationId = CurrentKey.Get(context).OrganizationId,
            Name = name!,
            Description = description,
            Language = language!,
            BaseModel = baseModel ?? Catalog.DefaultBaseModel,
            TrainingStatus = TrainingStatus.NotRunning,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.CustomModels.Add(model);
        await db.SaveChangesAsync(context.RequestAborted);
        return TypedResults.Created($"/api/v3/custom_models/{model.Id}", model.ToResponse());
    }

    public static async Task<Results<Ok<ModelResponse>, ApiError>> Get(string id, HttpContext context, AppDbContext db)
    {
        var model = await FindAsync(db, context, id, track: false);
        return model is null ? ApiError.ModelNotFound() : TypedResults.Ok(model.ToResponse());
    }

    public static async Task<Results<Ok<ModelResponse>, ApiError>> Update(string id, HttpContext context, AppDbContext db, TimeProvider time)
    {
        var (body, error) = await JsonBody.ReadObjectAsync(context.Request);
        if (body is null) return error!;
        // The save renders the model's list entry from the row as read here, so the row is read
        // under its lock: a training that ends meanwhile (the worker's update of the status) comes
        // wholly before this read or after this save, never between them with its status lost from the list.
        await using var transaction = await db.Database.BeginTransactionAsync(context.RequestAborted);
        if (db.IsPostgres && TryParseId(id, out var lockedId))
            await db.Database.ExecuteSqlInterpolatedAsync($"SELECT 1 FROM custom_models WHERE \"Id\" = {lockedId} FOR UPDATE", context.RequestAborted);
        var model = await FindAsync(db, context, id, track: true);
        if (model is null) return ApiError.ModelNotFound();

        var errors = new Dictionary<string, string>();
        var name = ReadName(body, errors, required: false);
        var description = ReadDescription(body, errors, out var descriptionPresent);
        RejectChange(body, "language", model.Language, errors);
        RejectChange(body, "base_model", model.BaseModel, errors);
        if (name is null && !descriptionPresent && errors.Count == 0)
            errors["body"] = "Provide name and/or description";
        if (errors.Count > 0) return ApiError.InvalidBody(errors);

        if (name is not null) model.Name = name;
        if (descriptionPresent) model.Description = description;
        model.UpdatedAt = time.UtcNowToSecond();
        await db.SaveChangesAsync(context.RequestAborted);
        await transaction.CommitAsync(context.RequestAborted);
        return TypedResults.Ok(model.ToResponse());
    }

    public static async Task<Results<NoContent, ApiError>> Delete(string id, HttpContext context, AppDbContext db, ModelDeletion deletion)
    {
        if (!TryParseId(id, out var modelId)) return ApiError.ModelNotFound();
        var org = CurrentKey.Get(context).OrganizationId;
        return await deletion.DeleteAsync(db, org, modelId, context.RequestAborted)
            ? TypedResults.NoContent()
            : ApiError.ModelNotFound();
    }

    /// <summary>The caller's model with this id, or null: another organization's model does not exist for the caller.</summary>
    public static async Task<CustomModel?> FindAsync(AppDbContext db, HttpContext context, string id, bool track)
    {
        if (!TryParseId(id, out var modelId)) return null;
        var org = CurrentKey.Get(context).OrganizationId;
        var query = track ? db.CustomModels : db.CustomModels.AsNoTracking();
        return await query.FirstOrDefaultAsync(m => m.Id == modelId && m.OrganizationId == org, context.RequestAborted);
    }

    public static bool TryParseId(string id, out long modelId) =>
        long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out modelId) && modelId > 0;

    static string? ReadName(JsonObject body, Dictionary<string, string> errors, bool required)
    {
        if (!JsonBody.TryGetString(body, "name", errors, out var raw, out var present)) return null;
        if (raw is null)
        {
            if (required || present) errors["name"] = present ? "Must be a string" : "Required";
            return null;
        }
        var name = raw.Trim();
        if (name.Length == 0) errors["name"] = "Must not be empty";
        else if (JsonBody.CharacterCount(name) > 200) errors["name"] = "Must be at most 200 characters";
        else return name;
        return null;
    }

    static string? ReadDescription(JsonObject body, Dictionary<string, string> errors, out bool present)
    {
        if (!JsonBody.TryGetString(body, "description", errors, out var description, out present)) return null;
        if (description is not null && JsonBody.CharacterCount(description) > 1000)
            errors["description"] = "Must be at most 1000 characters";
        return description;
    }

    static void RejectChange(JsonObject body, string field, string current, Dictionary<string, string> errors)
    {
        if (!body.TryGetPropertyValue(field, out var node)) return;
        var same = JsonBody.TryGetText(node, out var s) && s == current;
        if (!same) errors[field] = $"Cannot be changed after creation (is '{current}')";
    }
}

/// <summary>Request shapes, for the OpenAPI document: bodies are read and checked field by field.</summary>
public sealed record CreateModelRequest(string Name, string Language, string? BaseModel, string? Description);

public sealed record UpdateModelRequest(string? Name, string? Description);

/// <summary>
/// The list page, copied from its pooled buffer straight into the response (the hot endpoint:
/// no array of its own for every request), with its length known up front.
/// </summary>
public sealed class ModelPageResult(ModelPageJson page) : IResult
{
    public Task ExecuteAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = page.Length;
        page.WriteTo(context.Response.BodyWriter);
        return context.Response.BodyWriter.FlushAsync(context.RequestAborted).AsTask();
    }
}
