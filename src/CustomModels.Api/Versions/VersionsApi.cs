using System.Globalization;
using System.Text.Json;
using CustomModels.Api.Auth;
using CustomModels.Api.Errors;
using CustomModels.Api.Models;
using CustomModels.Api.Training;
using CustomModels.Core.Data;
using CustomModels.Core.Models;
using CustomModels.Core.Storage;
using CustomModels.Core.Versions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CustomModels.Api.Versions;

/// <summary>`/custom_models/{id}/versions`: every successful training, its evaluation, activation (rollback and roll forward) and deletion.</summary>
public static class VersionsApi
{
    public static IEndpointRouteBuilder MapVersions(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v3/custom_models/{id}/versions").WithTags("Versions");
        group.MapGet("", List).RequireAuthorization(Scopes.ModelsRead).Produces<VersionListResponse>()
            .WithSummary("The model's versions, newest first");
        group.MapGet("{version}", Get).RequireAuthorization(Scopes.ModelsRead).WithSummary("One version");
        group.MapGet("{version}/evaluation", Evaluation).RequireAuthorization(Scopes.ModelsRead)
            .WithSummary("The version's evaluation report (?format=csv: the per-utterance table)");
        group.MapGet("{version}/evaluation/words", EvaluationWords).RequireAuthorization(Scopes.ModelsRead)
            .WithSummary("The version's per-word error table (?format=csv)");
        group.MapPost("{version}/activate", Activate).RequireAuthorization(Scopes.ModelsWrite)
            .WithSummary("Make this version the one that transcribes from the next request on");
        group.MapDelete("{version}", Delete).RequireAuthorization(Scopes.ModelsWrite)
            .WithSummary("Delete an inactive version with its artifact");
        return app;
    }

    public static async Task<Results<Ok<VersionListResponse>, ApiError>> List(string id, HttpContext context, AppDbContext db)
    {
        var errors = new Dictionary<string, string>();
        var (page, perPage) = ListQuery.ParsePaging(context.Request.Query, errors);
        if (errors.Count > 0) return ApiError.InvalidQuery(errors);
        var model = await ModelsApi.FindAsync(db, context, id, track: false);
        if (model is null) return ApiError.ModelNotFound();
        var ct = context.RequestAborted;

        var versions = db.ModelVersions.AsNoTracking().Where(v => v.ModelId == model.Id);
        var total = await versions.LongCountAsync(ct);
        var rows = await versions.OrderByDescending(v => v.Version).Skip((page - 1) * perPage).Take(perPage).ToListAsync(ct);
        return TypedResults.Ok(new VersionListResponse(rows.Count, total, rows.Select(v => v.ToResponse(model)).ToList()));
    }

    public static async Task<Results<Ok<VersionResponse>, ApiError>> Get(string id, string version, HttpContext context, AppDbContext db)
    {
        var (model, row, error) = await FindAsync(db, context, id, version);
        return error ?? (Results<Ok<VersionResponse>, ApiError>)TypedResults.Ok(row!.ToResponse(model!));
    }

    public static async Task<Results<FileStreamHttpResult, ContentHttpResult, ApiError>> Evaluation(string id, string version,
        HttpContext context, AppDbContext db, BlobStore blobs)
    {
        var (model, row, error) = await FindAsync(db, context, id, version);
        if (error is not null) return error;
        return EvaluationDownloads.Report(context, blobs, model!.Id, row!.ArtifactName, ApiError.VersionNotFound);
    }

    public static async Task<Results<ContentHttpResult, ApiError>> EvaluationWords(string id, string version,
        HttpContext context, AppDbContext db, BlobStore blobs)
    {
        var (model, row, error) = await FindAsync(db, context, id, version);
        if (error is not null) return error;
        return EvaluationDownloads.Words(context, blobs, model!.Id, row!.ArtifactName, ApiError.VersionNotFound);
    }

    public static async Task<Results<Ok<ModelResponse>, ApiError>> Activate(string id, string version, HttpContext context,
        AppDbContext db, ModelVersions versions)
    {
        var model = await ModelsApi.FindAsync(db, context, id, track: false);
        if (model is null) return ApiError.ModelNotFound();
        if (!TryParseVersion(version, out var number) || !await versions.ActivateAsync(db, model.Id, number, context.RequestAborted))
            return ApiError.VersionNotFound();
        var activated = await db.CustomModels.AsNoTracking().FirstAsync(m => m.Id == model.Id, context.RequestAborted);
        return TypedResults.Ok(activated.ToResponse());
    }

    public static async Task<Results<NoContent, ApiError>> Delete(string id, string version, HttpContext context,
        AppDbContext db, ModelVersions versions)
    {
        var model = await ModelsApi.FindAsync(db, context, id, track: false);
        if (model is null) return ApiError.ModelNotFound();
        if (!TryParseVersion(version, out var number)) return ApiError.VersionNotFound();
        return await versions.DeleteAsync(db, model.Id, number, context.RequestAborted) switch
        {
            VersionDeletion.Deleted => TypedResults.NoContent(),
            VersionDeletion.Active => ApiError.Conflict(
                $"Version {number} is the active version; activate another version before deleting it", "VERSION_ACTIVE"),
            _ => ApiError.VersionNotFound(),
        };
    }

    static async Task<(CustomModel? Model, ModelVersion? Version, ApiError? Error)> FindAsync(AppDbContext db, HttpContext context, string id, string version)
    {
        var model = await ModelsApi.FindAsync(db, context, id, track: false);
        if (model is null) return (null, null, ApiError.ModelNotFound());
        var row = TryParseVersion(version, out var number)
            ? await db.ModelVersions.AsNoTracking().FirstOrDefaultAsync(v => v.ModelId == model.Id && v.Version == number, context.RequestAborted)
            : null;
        return row is null ? (model, null, ApiError.VersionNotFound()) : (model, row, null);
    }

    static bool TryParseVersion(string text, out int version) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out version) && version > 0;
}

/// <summary>A version as the API shows it.</summary>
public sealed record VersionResponse
{
    public required int Version { get; init; }
    public required string CreatedAt { get; init; }
    public required bool Active { get; init; }
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public TrainingMetricsResponse? TrainingMetrics { get; init; }
    public required string EvaluationSource { get; init; }
    public required IReadOnlyList<long> DataIds { get; init; }
}

public sealed record VersionListResponse(int Count, long TotalResults, IReadOnlyList<VersionResponse> Result);

static class VersionMapping
{
    public static VersionResponse ToResponse(this ModelVersion v, CustomModel model) => new()
    {
        Version = v.Version,
        CreatedAt = ModelMapping.Timestamp(v.CreatedAt),
        Active = model.ActiveVersion == v.Version,
        TrainingMetrics = ModelMapping.Metrics(v.WordErrorRate, v.AccuracyImprovement, v.CharacterErrorRate, v.TrainingHours, v.BaseWordErrorRate),
        EvaluationSource = v.EvaluationSource,
        DataIds = JsonSerializer.Deserialize<long[]>(v.DataIds) ?? [],
    };
}
