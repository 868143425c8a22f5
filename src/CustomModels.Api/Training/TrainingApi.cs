using CustomModels.Api.Auth;
using CustomModels.Api.Errors;
using CustomModels.Api.Hosting;
using CustomModels.Api.Models;
using CustomModels.Core;
using CustomModels.Core.Data;
using CustomModels.Core.Models;
using CustomModels.Core.Storage;
using CustomModels.Core.Training;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CustomModels.Api.Training;

/// <summary>`/run` starts a training; `/evaluation` shows what the last one measured.</summary>
public static class TrainingApi
{
    public static IEndpointRouteBuilder MapTraining(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v3/custom_models/{id}").WithTags("Training");
        group.MapPost("run", Run).RequireAuthorization(Scopes.ModelsWrite).WithSummary("Start (or restart) training");
        group.MapGet("evaluation", Evaluation).RequireAuthorization(Scopes.ModelsRead)
            .Produces<EvaluationReport>().WithSummary("Per-utterance results, new words and LM figures of the last training");
        return app;
    }

    public static async Task<Results<Ok<ModelResponse>, ApiError>> Run(string id, HttpContext context, AppDbContext db, Recognizers recognizers)
    {
        var (_, error) = await JsonBody.ReadObjectAsync(context.Request, allowEmpty: true);
        if (error is not null) return error;
        var model = await ModelsApi.FindAsync(db, context, id, track: false);
        if (model is null) return ApiError.ModelNotFound();
        var ct = context.RequestAborted;

        if (model.TrainingStatus == TrainingStatus.Running) return DataApi.ModelTraining();
        if (model.TrainingStatus == TrainingStatus.NotRunning || !await db.DataSets.AnyAsync(d => d.ModelId == model.Id && d.Kind == DataSetKind.Train, ct))
            return ApiError.Conflict("Upload training data before starting a training", "NO_TRAINING_DATA");
        if (recognizers.Find(model.Language) is null)
            return ApiError.Conflict($"Language '{model.Language}' cannot be trained here: no recognizer for it is installed", "LANGUAGE_NOT_TRAINABLE");

        var now = Clock.UtcNow();
        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            var rows = await db.CustomModels
                .Where(m => m.Id == model.Id && (m.TrainingStatus == TrainingStatus.ReadyToRun || m.TrainingStatus == TrainingStatus.Success || m.TrainingStatus == TrainingStatus.Failed))
                .ExecuteUpdateAsync(s => s
                    .SetProperty(m => m.TrainingStatus, TrainingStatus.Running)
                    .SetProperty(m => m.TrainingProgress, 0)
                    .SetProperty(m => m.StartedTrainingAt, now)
                    .SetProperty(m => m.UpdatedAt, now)
                    .SetProperty(m => m.TrainingError, (string?)null)
                    .SetProperty(m => m.FailedAt, (DateTime?)null), ct);
            if (rows == 0) return DataApi.ModelTraining();
            db.TrainingJobs.Add(new TrainingJob { ModelId = model.Id, CreatedAt = now });
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        }
        var started = await db.CustomModels.AsNoTracking().FirstAsync(m => m.Id == model.Id, ct);
        return TypedResults.Ok(started.ToResponse(statusMessage: "Training started successfully"));
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
