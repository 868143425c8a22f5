using CustomModels.Api.Auth;
using CustomModels.Api.Errors;
using CustomModels.Api.Hosting;
using CustomModels.Api.Models;
using CustomModels.Core.Data;
using CustomModels.Core.Models;
using CustomModels.Core.Storage;
using CustomModels.Core.Training;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CustomModels.Api.Training;

/// <summary>`/run` starts a training, `/cancel` stops it; `/evaluation` shows what the last one measured.</summary>
public static class TrainingApi
{
    public static IEndpointRouteBuilder MapTraining(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v3/custom_models/{id}").WithTags("Training");
        group.MapPost("run", Run).RequireAuthorization(Scopes.ModelsWrite).WithSummary("Start (or restart) training");
        group.MapPost("cancel", Cancel).RequireAuthorization(Scopes.ModelsWrite)
            .WithSummary("Stop a running training; the model goes back to 4 (its trained model serving) or 2");
        group.MapGet("evaluation", Evaluation).RequireAuthorization(Scopes.ModelsRead)
            .Produces<EvaluationReport>().WithSummary("Per-utterance results, new words and LM figures of the last training");
        return app;
    }

    public static async Task<Results<Ok<ModelResponse>, ApiError>> Run(string id, HttpContext context, AppDbContext db,
        Recognizers recognizers, ModelTraining training)
    {
        var (_, error) = await JsonBody.ReadObjectAsync(context.Request, allowEmpty: true);
        if (error is not null) return error;
        var model = await ModelsApi.FindAsync(db, context, id, track: false);
        if (model is null) return ApiError.ModelNotFound();
        var ct = context.RequestAborted;

        // The status decides first (a training model is 409 whatever its language), then the language.
        if (model.TrainingStatus == TrainingStatus.Running) return ApiError.ModelTraining();
        if (model.TrainingStatus == TrainingStatus.NotRunning) return NoTrainingData();
        if (recognizers.Find(model.Language) is null)
            return ApiError.Conflict($"Language '{model.Language}' cannot be trained here: no recognizer for it is installed", "LANGUAGE_NOT_TRAINABLE");

        var started = await training.StartAsync(db, model.Id, ct);
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

    public static async Task<Results<PhysicalFileHttpResult, ApiError>> Evaluation(string id, HttpContext context, AppDbContext db, BlobStore blobs)
    {
        var model = await ModelsApi.FindAsync(db, context, id, track: false);
        if (model is null) return ApiError.ModelNotFound();
        var path = model.ArtifactName is null ? null
            : blobs.FullPath(Path.Combine(BlobStore.ArtifactFolder(model.Id, model.ArtifactName), TrainingPipeline.EvaluationFile));
        if (path is null || !File.Exists(path))
            return ApiError.Conflict("The model has no evaluation yet: train it first", "MODEL_NOT_TRAINED");
        return TypedResults.PhysicalFile(path, "application/json");
    }
}
