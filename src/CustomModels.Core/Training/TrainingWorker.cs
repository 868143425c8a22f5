using CustomModels.Core.Data;
using CustomModels.Core.Jobs;
using CustomModels.Core.Storage;
using CustomModels.Core.Versions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using CustomModels.Speech.LanguageModel;
using CustomModels.Speech.Settings;

namespace CustomModels.Core.Training;

/// <summary>How trainings run (TrainingServices registers them as settings, see <see cref="SettingsOptions"/>).</summary>
public sealed class TrainingWorkerOptions
{
    /// <summary>
    /// Attempts, lease and polling. The lease (CUSTOMMODELS_TRAINING_LEASE_SECONDS) is how long a
    /// claim holds without renewal: a dead worker's job is taken over after it. The check interval is
    /// how often a running training looks whether it was cancelled or its model deleted (README
    /// "Cancel": it stops within about a second). Trainings one organization may have running at once
    /// over all processes: CUSTOMMODELS_ORG_MAX_RUNNING_TRAININGS (0: no cap).
    /// </summary>
    public JobRunnerOptions Jobs { get; set; } = new();

    /// <summary>
    /// Memory for counting a training text's n-grams (CUSTOMMODELS_TRAINING_MEMORY_MB); beyond it
    /// sorted runs spill to the job's work folder. The trained model does not depend on it.
    /// </summary>
    public int MemoryBudgetMegabytes { get; set; } = EstimationOptions.DefaultMemoryBudgetMegabytes;

    public void Read(SettingsReader settings)
    {
        Jobs.MaxRunningPerOrganization = settings.Whole("CUSTOMMODELS_ORG_MAX_RUNNING_TRAININGS", Jobs.MaxRunningPerOrganization, min: 0);
        Jobs.Lease = settings.Seconds("CUSTOMMODELS_TRAINING_LEASE_SECONDS", Jobs.Lease);
        MemoryBudgetMegabytes = settings.Whole("CUSTOMMODELS_TRAINING_MEMORY_MB", MemoryBudgetMegabytes);
    }
}

/// <summary>
/// Training jobs, one at a time per process, run by <see cref="JobRunner"/>: the pipeline in a
/// work folder of the attempt's own, then the artifact published as the model's next version.
/// </summary>
public sealed class TrainingWorker(JobRunner runner, IServiceScopeFactory scopes, TrainingPipeline pipeline, ModelTraining training,
    ModelVersions versions, BlobStore blobs, IOptions<TrainingWorkerOptions> options, ILogger<TrainingWorker> log) : BackgroundService, IJobKind
{
    public JobQueue Queue => JobQueue.Training;
    public string Name => "training";

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => runner.ServeAsync(this, options.Value.Jobs, stoppingToken);

    public string? PermanentFailure(Exception e) => e is TrainingFailure ? e.Message : null;

    public async Task RunAsync(JobAttempt attempt, CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var work = blobs.FullPath(StorageLayout.WorkFolder(attempt.TargetId, attempt.Name));
        try
        {
            var result = await pipeline.RunAsync(db, attempt.TargetId, attempt.JobId, work,
                percent => ReportProgressAsync(attempt, percent, ct), ct);
            await PublishAsync(db, attempt, result, ct);
        }
        finally
        {
            blobs.DeleteQuietly(work);
        }
    }

    async Task ReportProgressAsync(JobAttempt attempt, int percent, CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        if (!await training.ProgressAsync(db, attempt.TargetId, percent, ct))
            await attempt.StopAsync(); // deleted or cancelled while training
        ct.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// Moves the artifact into place under the attempt's name, then records it as the model's next
    /// version and ends the job in one transaction, which serves from that moment if the promotion
    /// gate (or `{"activate":"always"}`) lets it (<see cref="ModelVersions"/>). Every version keeps its
    /// artifact until the version is deleted. A worker that lost its lease records nothing.
    /// </summary>
    async Task PublishAsync(AppDbContext db, JobAttempt attempt, TrainingResult result, CancellationToken ct)
    {
        var modelId = attempt.TargetId;
        var relative = StorageLayout.ArtifactFolder(modelId, attempt.Name);
        blobs.Publish(result.Artifact.Folder, relative);
        var activateAlways = await db.TrainingJobs.AsNoTracking().Where(j => j.Id == attempt.JobId).Select(j => j.ActivateAlways).FirstOrDefaultAsync(ct);

        var published = await versions.PublishAsync(db, modelId, attempt.JobId, attempt.Name, result, activateAlways,
            finishJob: c => attempt.FinishAsync(db, JobState.Succeeded, null, c), CancellationToken.None);
        if (published is null)
        {
            // The model was deleted or cancelled meanwhile, or the job is another worker's now.
            // Publishing recreated part of a deleted model's folder: remove it again.
            if (!await db.CustomModels.AnyAsync(x => x.Id == modelId, CancellationToken.None))
                blobs.DeleteQuietly(StorageLayout.ModelFolder(modelId));
            else
                blobs.DeleteQuietly(relative);
            return;
        }
        var activation = published.Activated ? "active" : published.Note;
        if (result.Metrics.WordErrorRate is { } wer)
            log.LogInformation("Model {ModelId} trained version {Version} ({Activation}): WER {Wer:F1}% (base {BaseWer:F1}%)", modelId,
                published.Version, activation, wer, result.Metrics.BaseWordErrorRate);
        else
            log.LogInformation("Model {ModelId} trained version {Version} ({Activation}): no evaluation audio, no WER", modelId,
                published.Version, activation);
    }

    /// <summary>The model to 5 with the reason and the job's end, in one transaction, only while this attempt holds the job.</summary>
    public async Task FailAsync(AppDbContext db, JobAttempt attempt, string reason)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
        var failed = await training.FailAsync(db, attempt.TargetId, reason, CancellationToken.None);
        if (!await attempt.FinishAsync(db, JobState.Failed, reason, CancellationToken.None)) return;
        await transaction.CommitAsync(CancellationToken.None);
        if (failed) log.LogInformation("Training of model {ModelId} failed: {Reason}", attempt.TargetId, reason);
    }
}
