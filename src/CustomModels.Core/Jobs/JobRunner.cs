using CustomModels.Core.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CustomModels.Core.Jobs;

/// <summary>
/// What one kind of job does (a training, a transcription); <see cref="JobRunner"/> does the rest:
/// claiming, attempts, the lease, and what an exception means.
/// </summary>
public interface IJobKind
{
    JobQueue Queue { get; }

    /// <summary>A short name for logs and lease owners ("training", "stt").</summary>
    string Name { get; }

    /// <summary>
    /// Does the job's work and, on success, saves its result and ends the job in one transaction
    /// (<see cref="JobAttempt.FinishAsync"/> inside it, which refuses once the lease is lost). The
    /// token is cancelled when the service stops, the lease is lost, or the job ended without it.
    /// </summary>
    Task RunAsync(JobAttempt attempt, CancellationToken ct);

    /// <summary>The reason, in words a user can act on, when the exception is a failure that no retry would help; else null.</summary>
    string? PermanentFailure(Exception e);

    /// <summary>Records the failure on the job's subject and ends the job (<see cref="JobAttempt.FinishAsync"/>) in one transaction.</summary>
    Task FailAsync(AppDbContext db, JobAttempt attempt, string reason);
}

/// <summary>How a kind of job is run: the one place of these figures, which each kind's settings hold (<see cref="Training.TrainingWorkerOptions"/>, <see cref="Transcriptions.TranscriptionOptions"/>).</summary>
public sealed class JobRunnerOptions
{
    /// <summary>How long a claim holds without renewal: a dead worker's job is taken over after this.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>How often a running job looks whether it is still its worker's (cancelled, deleted, taken over).</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(1);
    public int MaxAttempts { get; set; } = 3;
    /// <summary>Jobs of this kind one organization may have running at once over all processes (0: no cap).</summary>
    public int MaxRunningPerOrganization { get; set; }
    /// <summary>Loops of this kind in one process, each with its own lease owner.</summary>
    public int Loops { get; set; } = 1;
}

/// <summary>
/// One claim of a job by one loop: the job, the loop's lease owner, and a name of its own for what
/// this attempt writes (a work folder, an artifact), so that two attempts of one job — a stale
/// worker that has not yet noticed its lost lease, and the one that took over — never write to the
/// same place.
/// </summary>
public sealed class JobAttempt(ClaimedJob job, string owner, JobQueue queue, CancellationTokenSource cancel)
{
    public long JobId => job.Id;
    /// <summary>The row the job works on: a training's model, a transcription itself.</summary>
    public long TargetId => job.TargetId;
    public int Number => job.Attempts;
    public string Owner => owner;
    public string Name { get; } = $"{job.Id}-{job.Attempts}-{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>Ends the job only while this attempt holds it; false (nothing changed) once the lease is lost.</summary>
    public Task<bool> FinishAsync(AppDbContext db, JobState state, string? error, CancellationToken ct) =>
        queue.FinishAsync(db, job.Id, owner, state, error, ct);

    /// <summary>Stops this attempt's work (its token), as when the job was found no longer its own.</summary>
    public Task StopAsync() => cancel.CancelAsync();
}

/// <summary>
/// The one loop of every job worker. Each loop claims a job of its kind, runs it under a lease
/// that a keeper renews, and sorts out how it ended: done; a permanent failure (failed at once);
/// the service stopping (handed back without spending an attempt); the lease lost or the job ended
/// without it (stopped, nothing recorded); any other error (handed back for another attempt, failed
/// after the last). Every ending is conditional on the lease owner, so a worker that lost its lease
/// can neither succeed nor fail a job another worker now holds.
/// </summary>
public sealed class JobRunner(IServiceScopeFactory scopes, TimeProvider time, ILogger<JobRunner> log)
{
    public Task ServeAsync(IJobKind kind, JobRunnerOptions options, CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, options.Loops).Select(loop =>
            LoopAsync(kind, options, $"{Environment.MachineName}/{Environment.ProcessId}/{kind.Name}-{loop}-{Guid.NewGuid().ToString("N")[..8]}",
                stoppingToken)));

    /// <summary>
    /// Claims a job, runs it, and when the queue is empty waits one poll interval. Anything that
    /// escapes a job (the database unreachable while claiming) is logged and the loop goes on,
    /// until <paramref name="stoppingToken"/> ends it.
    /// </summary>
    async Task LoopAsync(IJobKind kind, JobRunnerOptions options, string owner, CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var claimedAt = time.GetTimestamp();
                ClaimedJob? job;
                using (var scope = scopes.CreateScope())
                    job = await kind.Queue.ClaimAsync(scope.ServiceProvider.GetRequiredService<AppDbContext>(), owner, options.Lease,
                        stoppingToken, options.MaxRunningPerOrganization);
                if (job is null)
                    await Task.Delay(options.PollInterval, time, stoppingToken);
                else
                    await RunAsync(kind, options, owner, job, claimedAt, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                log.LogError(e, "The {Kind} loop {Owner} failed; retrying", kind.Name, owner);
                await Task.Delay(options.PollInterval, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    async Task RunAsync(IJobKind kind, JobRunnerOptions options, string owner, ClaimedJob job, long claimedAt, CancellationToken stoppingToken)
    {
        using var jobCancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var attempt = new JobAttempt(job, owner, kind.Queue, jobCancel);
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        if (job.Attempts > options.MaxAttempts)
        {
            await kind.FailAsync(db, attempt, $"it did not complete in {options.MaxAttempts} attempts ({job.LastError ?? "the worker stopped"})");
            return;
        }

        log.LogInformation("Running {Kind} job {JobId} (attempt {Attempt}, {Owner})", kind.Name, job.Id, job.Attempts, owner);
        var keeper = KeepLeaseAsync(kind, options, attempt, claimedAt, jobCancel);
        try
        {
            await kind.RunAsync(attempt, jobCancel.Token);
        }
        catch (Exception e) when (kind.PermanentFailure(e) is { } reason)
        {
            await kind.FailAsync(db, attempt, reason);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The service is stopping: hand the job back without spending an attempt.
            await kind.Queue.ReleaseAsync(db, job.Id, owner, null, countAttempt: false, CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
            log.LogInformation("{Kind} job {JobId} stopped: it ended without this worker (cancelled, deleted) or its lease was lost", kind.Name, job.Id);
        }
        catch (Exception e)
        {
            log.LogError(e, "{Kind} job {JobId} failed on attempt {Attempt}", kind.Name, job.Id, job.Attempts);
            const string reason = "an internal error occurred (see the service log)";
            if (job.Attempts >= options.MaxAttempts)
                await kind.FailAsync(db, attempt, $"it did not complete in {options.MaxAttempts} attempts ({reason})");
            else
                await kind.Queue.ReleaseAsync(db, job.Id, owner, reason, countAttempt: true, CancellationToken.None);
        }
        finally
        {
            await jobCancel.CancelAsync();
            await keeper;
        }
    }

    /// <summary>
    /// Keeps the job's lease while the attempt runs. Every <see cref="JobRunnerOptions.CheckInterval"/>
    /// it looks whether the job is still this attempt's, and renews the lease once a third of it has
    /// passed since the last renewal; it stops the attempt (cancels its token) when the job is no
    /// longer its own, or when no renewal has succeeded for a whole lease — by then another worker
    /// may have taken the job over, whether or not the database can be reached to say so. A failed
    /// check or renewal (a database briefly unreachable) is logged and tried again at the next tick.
    /// </summary>
    async Task KeepLeaseAsync(IJobKind kind, JobRunnerOptions options, JobAttempt attempt, long renewedAt, CancellationTokenSource jobCancel)
    {
        // Created before the attempt starts, so a tick is never missed.
        using var timer = new PeriodicTimer(options.CheckInterval, time);
        await Task.Yield();
        try
        {
            while (await timer.WaitForNextTickAsync(jobCancel.Token))
            {
                try
                {
                    using var scope = scopes.CreateScope();
                    var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
                    bool held;
                    if (time.GetElapsedTime(renewedAt) >= options.Lease / 3)
                    {
                        // The lease runs from the renewal's statement, which is after this moment.
                        var renewing = time.GetTimestamp();
                        held = await kind.Queue.RenewAsync(db, attempt.JobId, attempt.Owner, options.Lease, jobCancel.Token);
                        if (held) renewedAt = renewing;
                    }
                    else
                        held = await kind.Queue.IsHeldAsync(db, attempt.JobId, attempt.Owner, jobCancel.Token);
                    if (!held)
                    {
                        await jobCancel.CancelAsync();
                        return;
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogWarning(e, "Could not renew or check the lease of {Kind} job {JobId}", kind.Name, attempt.JobId);
                }
                if (time.GetElapsedTime(renewedAt) >= options.Lease)
                {
                    log.LogWarning("{Kind} job {JobId}: no renewal for a whole lease; stopping, another worker may hold it now", kind.Name, attempt.JobId);
                    await jobCancel.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException) { }
    }
}
