using CustomModels.Core.Data;
using CustomModels.Core.Jobs;
using CustomModels.Core.Storage;
using CustomModels.Core.Versions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using CustomModels.Speech.LanguageModel;

namespace CustomModels.Core.Training;

public sealed record TrainingWorkerOptions
{
    /// <summary>How long a claim holds without renewal; a dead worker's job is taken over after this.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>How often a running training looks whether it was cancelled or its model deleted (API.md: it stops within 5 s).</summary>
    public TimeSpan CancelCheckInterval { get; init; } = TimeSpan.FromSeconds(1);
    public int MaxAttempts { get; init; } = 3;
    /// <summary>Trainings one organization may have running at once over all processes (CUSTOMMODELS_ORG_MAX_RUNNING_TRAININGS; 0: no cap).</summary>
    public int MaxRunningPerOrganization { get; init; }

    /// <summary>
    /// Memory for counting a training text's n-grams (CUSTOMMODELS_TRAINING_MEMORY_MB); beyond it
    /// sorted runs spill to the job's work folder. The trained model does not depend on it.
    /// </summary>
    public int MemoryBudgetMegabytes { get; init; } = EstimationOptions.DefaultMemoryBudgetMegabytes;

    public static TrainingWorkerOptions FromEnvironment() => new()
    {
        MaxRunningPerOrganization = Environment.GetEnvironmentVariable("CUSTOMMODELS_ORG_MAX_RUNNING_TRAININGS") is { } cap
            && int.TryParse(cap, out var most) && most > 0 ? most : 0,
        Lease = Environment.GetEnvironmentVariable("CUSTOMMODELS_TRAINING_LEASE_SECONDS") is { } s && int.TryParse(s, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : TimeSpan.FromSeconds(30),
        MemoryBudgetMegabytes = Environment.GetEnvironmentVariable("CUSTOMMODELS_TRAINING_MEMORY_MB") is { Length: > 0 } mb
            ? int.TryParse(mb, out var megabytes) && megabytes >= 1
                ? megabytes
                : throw new InvalidOperationException($"CUSTOMMODELS_TRAINING_MEMORY_MB must be a whole number of megabytes, at least 1 (is '{mb}')")
            : EstimationOptions.DefaultMemoryBudgetMegabytes,
    };
}

/// <summary>
/// Takes training jobs from the queue one at a time and runs them. A job's failure is the job's,
/// never the loop's; the stopping token reaches every stage.
/// </summary>
public sealed class TrainingWorker(IServiceScopeFactory scopes, TrainingPipeline pipeline, ModelTraining training, ModelVersions versions, BlobStore blobs,
    TrainingWorkerOptions options, ILogger<TrainingWorker> log) : BackgroundService
{
    readonly string owner = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        JobQueue.Training.ServeAsync(scopes, owner, options.Lease, options.PollInterval, options.MaxRunningPerOrganization, RunAsync, log, stoppingToken);

    async Task RunAsync(ClaimedJob job, CancellationToken stoppingToken)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        if (job.Attempts > options.MaxAttempts)
        {
            await FailAsync(db, job, $"it did not complete in {options.MaxAttempts} attempts ({job.LastError ?? "the worker stopped"})", CancellationToken.None);
            return;
        }

        log.LogInformation("Training model {ModelId} (job {JobId}, attempt {Attempt})", job.TargetId, job.Id, job.Attempts);
        using var jobCancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        using var renewal = JobQueue.Training.RenewUntilDone(scopes, job.Id, owner, options.Lease, jobCancel, log);
        using var watch = JobQueue.Training.CancelWhenLost(scopes, job.Id, owner, options.CancelCheckInterval, jobCancel, log);
        var work = Path.Combine(blobs.FullPath(BlobStore.ModelFolder(job.TargetId)), "work", job.Id.ToString());
        blobs.DeleteQuietly(work); // a previous attempt's leftovers
        try
        {
            var result = await pipeline.RunAsync(db, job.TargetId, job.Id, work,
                percent => ReportProgressAsync(job.TargetId, percent, jobCancel), jobCancel.Token);
            await PublishAsync(db, job, result, jobCancel.Token);
        }
        catch (TrainingFailure failure)
        {
            await FailAsync(db, job, failure.Message, CancellationToken.None);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The service is stopping: hand the job back without spending an attempt.
            await JobQueue.Training.ReleaseAsync(db, job.Id, owner, null, countAttempt: false, CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
            log.LogInformation("Training job {JobId} stopped: it was cancelled, its model deleted, or its lease lost", job.Id);
        }
        catch (Exception e)
        {
            log.LogError(e, "Training job {JobId} of model {ModelId} failed on attempt {Attempt}", job.Id, job.TargetId, job.Attempts);
            var reason = "an internal error occurred (see the service log)";
            if (job.Attempts >= options.MaxAttempts)
                await FailAsync(db, job, $"it did not complete in {options.MaxAttempts} attempts ({reason})", CancellationToken.None);
            else
                await JobQueue.Training.ReleaseAsync(db, job.Id, owner, reason, countAttempt: true, CancellationToken.None);
        }
        finally
        {
            await jobCancel.CancelAsync();
            blobs.DeleteQuietly(work);
        }
    }

    async Task ReportProgressAsync(long modelId, int percent, CancellationTokenSource jobCancel)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        if (!await training.ProgressAsync(db, modelId, percent, jobCancel.Token))
            await jobCancel.CancelAsync(); // deleted or cancelled while training
        jobCancel.Token.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// Moves the artifact into place, then records it as the model's next version, which serves from
    /// that moment if the promotion gate (or `{"activate":"always"}`) lets it (<see cref="ModelVersions"/>).
    /// Every version keeps its artifact until the version is deleted.
    /// </summary>
    async Task PublishAsync(AppDbContext db, ClaimedJob job, TrainingResult result, CancellationToken ct)
    {
        var artifactName = job.Id.ToString();
        var relative = BlobStore.ArtifactFolder(job.TargetId, artifactName);
        blobs.DeleteQuietly(relative);
        blobs.Publish(result.ArtifactDirectory, relative);
        var activateAlways = await db.TrainingJobs.AsNoTracking().Where(j => j.Id == job.Id).Select(j => j.ActivateAlways).FirstOrDefaultAsync(ct);

        var published = await versions.PublishAsync(db, job.TargetId, job.Id, artifactName, result, activateAlways, CancellationToken.None);
        if (published is null)
        {
            // The model was deleted meanwhile: publishing recreated part of its folder, remove it again.
            if (!await db.CustomModels.AnyAsync(x => x.Id == job.TargetId, CancellationToken.None))
                blobs.DeleteQuietly(BlobStore.ModelFolder(job.TargetId));
            else
                blobs.DeleteQuietly(relative);
            return;
        }
        await JobQueue.Training.FinishAsync(db, job.Id, JobState.Succeeded, null, CancellationToken.None);
        log.LogInformation("Model {ModelId} trained version {Version} ({Activation}): WER {Wer:F1}% (base {BaseWer:F1}%)", job.TargetId,
            published.Version, published.Activated ? "active" : published.Note, result.Metrics.WordErrorRate, result.Metrics.BaseWordErrorRate);
    }

    async Task FailAsync(AppDbContext db, ClaimedJob job, string reason, CancellationToken ct)
    {
        await training.FailAsync(db, job.TargetId, reason, ct);
        await JobQueue.Training.FinishAsync(db, job.Id, JobState.Failed, reason, ct);
        log.LogInformation("Training of model {ModelId} failed: {Reason}", job.TargetId, reason);
    }
}
