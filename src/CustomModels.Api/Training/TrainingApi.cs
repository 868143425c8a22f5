using CustomModels.Api.Auth;
using CustomModels.Api.Errors;
using CustomModels.Api.Hosting;
using CustomModels.Api.Models;
using CustomModels.Core.Recognition;
using CustomModels.Core.Data;
using CustomModels.Core.Models;
using CustomModels.Core.Storage;
using CustomModels.Core.Training;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CustomModels.Api.Training;

/// <summary>`/run` starts a training, `/cancel` stops it; `/evaluation` shows what the active version's training measured.</summary>
public static class TrainingApi
{
    public static IEndpointRouteBuilder MapTraining(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v3/custom_models/{id}").WithTags("Training");
        group.MapPost("run", Run).RequireAuthorization(Scopes.ModelsWrite).WithSummary("Start (or restart) training");
        group.MapPost("cancel", Cancel).RequireAuthorization(Scopes.ModelsWrite)
            .WithSummary("Stop a running training; the model goes back to 4 (its trained model serving) or 2");
        group.MapGet("evaluation", Evaluation).RequireAuthorization(Scopes.ModelsRead)
            .Produces<EvaluationReport>().WithSummary("The active version's evaluation: per-utterance results, error analysis, new words, LM figures (?format=csv: per utterance)");
        group.MapGet("evaluation/words", EvaluationWords).RequireAuthorization(Scopes.ModelsRead)
            .WithSummary("The active version's per-word error table (?format=csv)");
        return app;
    }

    public static async Task<Results<Ok<ModelResponse>, ApiError>> Run(string id, HttpContext context, AppDbContext db,
        Recognizers recognizers, ModelTraining training)
    {
        var (body, error) = await JsonBody.ReadObjectAsync(context.Request, allowEmpty: true);
        if (error is not null) return error;
        var errors = new Dictionary<string, string>();
        if (ReadActivateAlways(body, errors) is not { } activateAlways) return ApiError.InvalidBody(errors);
        var model = await ModelsApi.FindAsync(db, context, id, track: false);
        if (model is null) return ApiError.ModelNotFound();
        var ct = context.RequestAborted;

        // The status decides first (a training model is 409 whatever its language), then the language.
        if (model.TrainingStatus == TrainingStatus.Running) return ApiError.ModelTraining();
        if (model.TrainingStatus == TrainingStatus.NotRunning) return NoTrainingData();
        if (recognizers.Find(model.Language) is null)
            return ApiError.Conflict($"Language '{model.Language}' cannot be trained here: no recognizer for it is installed", "LANGUAGE_NOT_TRAINABLE");

        var started = await training.StartAsync(db, model.Id, ct, activateAlways);
        if (!started.Done)
            return started.Status switch
            {
                null => ApiError.ModelNotFound(),
                TrainingStatus.Running => ApiError.ModelTraining(),
                _ => NoTrainingData(),
            };
        var running = await db.CustomModels.AsNoTracking().FirstAsync(m => m.Id == model.Id, ct);
        return TypedResults.Ok(running.ToResponse(statusMessage: "Training started successfully"));
    }

    static ApiError NoTrainingData() => ApiError.Conflict("Upload training data before starting a training", "NO_TRAINING_DATA");

    public static async Task<Results<Ok<ModelResponse>, ApiError>> Cancel(string id, HttpContext context, AppDbContext db, ModelTraining training)
    {
        var (_, error) = await JsonBody.ReadObjectAsync(context.Request, allowEmpty: true);
        if (error is not null) return error;
        var model = await ModelsApi.FindAsync(db, context, id, track: false);
        if (model is null) return ApiError.ModelNotFound();
        var ct = context.RequestAborted;

        var cancelled = await training.CancelAsync(db, model.Id, ct);
        if (!cancelled.Done)
            return cancelled.ModelExists
                ? ApiError.Conflict("The model is not training: only a model in status 3 can be cancelled", "MODEL_NOT_TRAINING")
                : ApiError.ModelNotFound();
        var back = await db.CustomModels.AsNoTracking().FirstOrDefaultAsync(m => m.Id == model.Id, ct);
        return back is null ? ApiError.ModelNotFound() : TypedResults.Ok(back.ToResponse(statusMessage: "Training cancelled"));
    }

    public static async Task<Results<FileStreamHttpResult, ContentHttpResult, ApiError>> Evaluation(string id, HttpContext context, AppDbContext db, BlobStore blobs)
    {
        var model = await ModelsApi.FindAsync(db, context, id, track: false);
        if (model is null) return ApiError.ModelNotFound();
        return EvaluationDownloads.Report(context, blobs, model.Id, model.ArtifactName, ApiError.ModelNotFound);
    }

    public static async Task<Results<ContentHttpResult, ApiError>> EvaluationWords(string id, HttpContext context, AppDbContext db, BlobStore blobs)
    {
        var model = await ModelsApi.FindAsync(db, context, id, track: false);
        if (model is null) return ApiError.ModelNotFound();
        return EvaluationDownloads.Words(context, blobs, model.Id, model.ArtifactName, ApiError.ModelNotFound);
    }

    /// <summary>`activate`: "always" skips the promotion gate; "if_not_worse" (the default) applies it.</summary>
    static bool? ReadActivateAlways(System.Text.Json.Nodes.JsonObject? body, Dictionary<string, string> errors)
    {
        if (body is null || !body.TryGetPropertyValue("activate", out var node) || node is null) return false;
        if (JsonBody.TryGetText(node, out var text) && text is "always" or "if_not_worse") return text == "always";
        errors["activate"] = "Must be \"always\" or \"if_not_worse\"";
        return null;
    }
}
