using System.Text.Json;
using CustomModels.Core.Data;
using CustomModels.Core.Jobs;
using CustomModels.Core.Models;
using CustomModels.Core.Storage;
using CustomModels.Core.Training;
using CustomModels.Speech.Audio;
using CustomModels.Speech.Decoding;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CustomModels.Core.Transcriptions;

/// <summary>
/// Takes transcriptions from their queue, <see cref="TranscriptionOptions.Workers"/> at a time, and
/// decodes them with the cached decoders. A job's failure is the job's, never the loop's. A job
/// killed with its process is taken over once its lease expires and decoded again from the start.
/// </summary>
public sealed class TranscriptionWorker(IServiceScopeFactory scopes, DecoderCache decoders, Recognizers recognizers,
    BlobStore blobs, TranscriptionOptions options, ILogger<TranscriptionWorker> log) : BackgroundService
{
    readonly string owner = $"{Environment.MachineName}/{Environment.ProcessId}/stt-{Guid.NewGuid().ToString("N")[..8]}";

    public static string Folder(string publicId) => Path.Combine("transcriptions", publicId);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, options.Workers).Select(_ =>
            JobQueue.Transcription.ServeAsync(scopes, owner, options.Lease, options.PollInterval, options.MaxRunningPerOrganization,
                RunAsync, log, stoppingToken)));

    async Task RunAsync(ClaimedJob job, CancellationToken stoppingToken)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var row = await db.Transcriptions.AsNoTracking().FirstOrDefaultAsync(t => t.Id == job.Id, stoppingToken);
        if (row is null) return; // deleted since the claim
        if (job.Attempts > options.MaxAttempts)
        {
            await FailAsync(db, row, $"it did not complete in {options.MaxAttempts} attempts ({job.LastError ?? "the worker stopped"})");
            return;
        }

        log.LogInformation("Transcribing {PublicId} ({Seconds:F1} s, attempt {Attempt})", row.PublicId, row.DurationSeconds, job.Attempts);
        await db.Transcriptions.Where(t => t.Id == row.Id && t.LeaseOwner == owner)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.DecodedSeconds, 0).SetProperty(t => t.StartedAt, Clock.UtcNow()), stoppingToken);
        using var jobCancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        using var renewal = JobQueue.Transcription.RenewUntilDone(scopes, row.Id, owner, options.Lease, jobCancel, log);
        var progress = new LatestSeconds();
        var reporting = ReportProgressAsync(row.Id, progress, jobCancel.Token);
        try
        {
            string? modelKey;
            Transcript transcript;
            // The term model of the request's keyterms lives in the job's folder (a delete takes it
            // along) as long as the decoding that reads it.
            var termArpaPath = blobs.FullPath(Path.Combine(Folder(row.PublicId), $"keyterms-{Guid.NewGuid():N}.arpa"));
            try
            {
                var keyterms = Keyterms.Parse(row.Keyterms) is { } reports ? Keyterms.WriteBias(reports, termArpaPath) : null;
                (modelKey, var lease) = await RentDecodersAsync(db, row, forKeyterms: keyterms is not null, jobCancel.Token);
                using (lease)
                    transcript = await lease.Pool.DecodeFileAsync(blobs.FullPath(row.AudioBlob), jobCancel.Token, progress, keyterms);
            }
            finally
            {
                // Quietly: a job deleted while it decoded has lost its folder.
                blobs.DeleteQuietly(termArpaPath);
            }
            await PublishAsync(db, row, TranscriptionResult.From(row, modelKey, transcript), jobCancel.Token);
        }
        catch (TranscriptionFailure failure)
        {
            await FailAsync(db, row, failure.Message);
        }
        catch (AudioDecodeException e)
        {
            await FailAsync(db, row, $"the audio could not be decoded: {e.Message}");
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The service is stopping: hand the job back without spending an attempt.
            await JobQueue.Transcription.ReleaseAsync(db, row.Id, owner, null, countAttempt: false, CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
            log.LogInformation("Transcription {PublicId} stopped: it was deleted or its lease lost", row.PublicId);
        }
        catch (Exception e)
        {
            log.LogError(e, "Transcription {PublicId} failed on attempt {Attempt}", row.PublicId, job.Attempts);
            var reason = "an internal error occurred (see the service log)";
            if (job.Attempts >= options.MaxAttempts)
                await FailAsync(db, row, $"it did not complete in {options.MaxAttempts} attempts ({reason})");
            else
                await JobQueue.Transcription.ReleaseAsync(db, row.Id, owner, reason, countAttempt: true, CancellationToken.None);
        }
        finally
        {
            await jobCancel.CancelAsync();
            await reporting;
        }
    }

    /// <summary>
    /// The base decoders of the language, or those of the custom model's version that the job names
    /// (chosen when the audio was sent). A model or version deleted before the job started is a
    /// failure with that reason; so is one deleted while its decoders were being built. A request with keyterms
    /// gets decoders that serve only such requests.
    /// </summary>
    async Task<(string? ModelKey, DecoderLease Lease)> RentDecodersAsync(AppDbContext db, TranscriptionJob row, bool forKeyterms, CancellationToken ct)
    {
        var settings = recognizers.Find(row.Language)
            ?? throw new TranscriptionFailure($"no recognizer is installed for language '{row.Language}'");
        if (row.ModelId is not { } modelId) return (null, await decoders.RentBaseAsync(row.Language, settings, ct, forKeyterms));

        var key = ModelKeys.Format(modelId);
        if (row.ModelVersion is not { } version)
            throw new TranscriptionFailure($"the custom model {key} has no trained model to transcribe with");
        for (var attempt = 1; ; attempt++)
        {
            if (!await db.CustomModels.AnyAsync(m => m.Id == modelId && m.OrganizationId == row.OrganizationId, ct))
                throw new TranscriptionFailure($"the custom model {key} was deleted before the transcription started");
            var artifactName = await db.ModelVersions.AsNoTracking().Where(v => v.ModelId == modelId && v.Version == version)
                .Select(v => v.ArtifactName).FirstOrDefaultAsync(ct)
                ?? throw new TranscriptionFailure($"version {version} of the custom model {key} was deleted before the transcription started");
            var folder = blobs.FullPath(BlobStore.ArtifactFolder(modelId, artifactName));
            try
            {
                return (key, await decoders.RentCustomAsync(modelId, artifactName, folder, settings, ct, forKeyterms));
            }
            catch (Exception e) when (e is DecoderException or IOException && attempt < 3)
            {
                log.LogInformation("Decoders of {ModelKey} version {Version} could not be built from artifact {Artifact} ({Reason}); looking again",
                    key, version, artifactName, e.Message);
            }
        }
    }

    /// <summary>The result's file into place first, then the row that names it, in one transaction with the job's end.</summary>
    async Task PublishAsync(AppDbContext db, TranscriptionJob row, TranscriptionResult result, CancellationToken ct)
    {
        var temp = blobs.NewTempPath(".json");
        await using (var file = File.Create(temp))
            await JsonSerializer.SerializeAsync(file, result, TranscriptionResult.Json, ct);
        // Named per attempt: a worker that lost its lease must not overwrite the result of the one that took over.
        var relative = Path.Combine(Folder(row.PublicId), $"result-{Guid.NewGuid():N}.json");
        blobs.Publish(temp, relative);

        var committed = false;
        try
        {
            var now = Clock.UtcNow();
            await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
            var rows = await db.Transcriptions.Where(t => t.Id == row.Id && t.LeaseOwner == owner && t.State == JobState.Running)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(t => t.ResultBlob, relative)
                    .SetProperty(t => t.DecodedSeconds, t => t.DurationSeconds)
                    .SetProperty(t => t.WebhookState, t => t.WebhookUrl != null ? WebhookState.Pending : WebhookState.None)
                    .SetProperty(t => t.WebhookDueAt, now), CancellationToken.None);
            if (rows == 0) return;
            await JobQueue.Transcription.FinishAsync(db, row.Id, JobState.Succeeded, null, CancellationToken.None, owner);
            await transaction.CommitAsync(CancellationToken.None);
            committed = true;
            log.LogInformation("Transcribed {PublicId}: {Words} words", row.PublicId, result.Segments.Sum(s => s.Words.Count));
        }
        finally
        {
            if (!committed)
            {
                blobs.DeleteQuietly(relative);
                // Deleted meanwhile: publishing recreated its folder.
                if (!await db.Transcriptions.AnyAsync(t => t.Id == row.Id, CancellationToken.None)) blobs.DeleteQuietly(Folder(row.PublicId));
            }
        }
    }

    async Task FailAsync(AppDbContext db, TranscriptionJob row, string reason)
    {
        var now = Clock.UtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
        await JobQueue.Transcription.FinishAsync(db, row.Id, JobState.Failed, reason, CancellationToken.None);
        await db.Transcriptions.Where(t => t.Id == row.Id && t.WebhookUrl != null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.WebhookState, WebhookState.Pending).SetProperty(t => t.WebhookDueAt, now), CancellationToken.None);
        await transaction.CommitAsync(CancellationToken.None);
        log.LogInformation("Transcription {PublicId} failed: {Reason}", row.PublicId, reason);
    }

    /// <summary>Writes the seconds decoded about once a second, while the job runs.</summary>
    async Task ReportProgressAsync(long id, LatestSeconds progress, CancellationToken ct)
    {
        var written = 0.0;
        try
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            while (await timer.WaitForNextTickAsync(ct))
            {
                var seconds = progress.Value;
                if (seconds <= written) continue;
                using var scope = scopes.CreateScope();
                var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
                await db.Transcriptions.Where(t => t.Id == id && t.LeaseOwner == owner)
                    .ExecuteUpdateAsync(s => s.SetProperty(t => t.DecodedSeconds, seconds), ct);
                written = seconds;
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception e) { log.LogWarning(e, "Could not record the progress of transcription {Id}", id); }
    }

    /// <summary>The decoder's progress, read by the reporting loop (no synchronization context involved).</summary>
    sealed class LatestSeconds : IProgress<double>
    {
        double value;
        public double Value => Volatile.Read(ref value);
        public void Report(double seconds) => Volatile.Write(ref value, seconds);
    }
}
