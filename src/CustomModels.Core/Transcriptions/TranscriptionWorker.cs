using System.Text.Json;
using CustomModels.Core.Recognition;
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
using Microsoft.Extensions.Options;

namespace CustomModels.Core.Transcriptions;

/// <summary>
/// Transcriptions, <see cref="TranscriptionOptions.Workers"/> at a time per process, run by
/// <see cref="JobRunner"/> and decoded with the cached decoders. A job killed with its process is
/// taken over once its lease expires and decoded again from the start.
/// </summary>
public sealed class TranscriptionWorker(JobRunner runner, IServiceScopeFactory scopes, DecoderCache decoders, Recognizers recognizers,
    BlobStore blobs, IOptions<TranscriptionOptions> options, TimeProvider time, ILogger<TranscriptionWorker> log) : BackgroundService, IJobKind
{
    public JobQueue Queue => JobQueue.Transcription;
    public string Name => "stt";

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => runner.ServeAsync(this, options.Value.Jobs, stoppingToken);

    public string? PermanentFailure(Exception e) => e switch
    {
        TranscriptionFailure => e.Message,
        AudioDecodeException => $"the audio could not be decoded: {e.Message}",
        _ => null,
    };

    public async Task RunAsync(JobAttempt attempt, CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var row = await db.Transcriptions.AsNoTracking().FirstOrDefaultAsync(t => t.Id == attempt.JobId, ct);
        if (row is null) return; // deleted since the claim

        log.LogInformation("Transcribing {PublicId} ({Seconds:F1} s, attempt {Attempt})", row.PublicId, row.DurationSeconds, attempt.Number);
        await db.Transcriptions.Where(t => t.Id == row.Id && t.LeaseOwner == attempt.Owner)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.DecodedSeconds, 0).SetProperty(t => t.StartedAt, time.UtcNowToSecond()), ct);
        using var stopReporting = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var progress = new LatestSeconds();
        var reporting = ReportProgressAsync(row.Id, attempt.Owner, progress, stopReporting.Token);
        try
        {
            string? modelKey;
            Transcript transcript;
            // The term model of the request's keyterms lives in the job's folder (a delete takes it
            // along) as long as the decoding that reads it.
            var termArpaPath = blobs.FullPath(StorageLayout.KeytermModel(row.PublicId, attempt.Name));
            try
            {
                var keyterms = Keyterms.Parse(row.Keyterms) is { } reports ? Keyterms.WriteBias(reports, termArpaPath) : null;
                (modelKey, var lease) = await RentDecodersAsync(db, row, forKeyterms: keyterms is not null, ct);
                using (lease)
                    transcript = await lease.Pool.DecodeFileAsync(blobs.FullPath(row.AudioBlob), ct, progress, keyterms);
            }
            finally
            {
                // Quietly: a job deleted while it decoded has lost its folder.
                blobs.DeleteQuietly(termArpaPath);
            }
            await PublishAsync(db, attempt, row, TranscriptionResult.From(row, modelKey, transcript), ct);
        }
        finally
        {
            await stopReporting.CancelAsync();
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
            try
            {
                return (key, await decoders.RentCustomAsync(modelId, artifactName, ModelArtifact.Of(blobs, modelId, artifactName), settings, ct, forKeyterms));
            }
            catch (Exception e) when (e is DecoderException or IOException && attempt < 3)
            {
                log.LogInformation("Decoders of {ModelKey} version {Version} could not be built from artifact {Artifact} ({Reason}); looking again",
                    key, version, artifactName, e.Message);
            }
        }
    }

    /// <summary>The result's file into place first (named for the attempt), then the row that names it, in one transaction with the job's end.</summary>
    async Task PublishAsync(AppDbContext db, JobAttempt attempt, TranscriptionJob row, TranscriptionResult result, CancellationToken ct)
    {
        var temp = blobs.NewTempPath(".json");
        await using (var file = File.Create(temp))
            await JsonSerializer.SerializeAsync(file, result, TranscriptionResult.Json, ct);
        var relative = StorageLayout.TranscriptionResult(row.PublicId, attempt.Name);
        blobs.Publish(temp, relative);

        var committed = false;
        try
        {
            var now = time.UtcNowToSecond();
            await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
            var rows = await db.Transcriptions.Where(t => t.Id == row.Id && t.LeaseOwner == attempt.Owner && t.State == JobState.Running)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(t => t.ResultBlob, relative)
                    .SetProperty(t => t.DecodedSeconds, t => t.DurationSeconds)
                    .SetProperty(t => t.WebhookState, t => t.WebhookUrl != null ? WebhookState.Pending : WebhookState.None)
                    .SetProperty(t => t.WebhookDueAt, now), CancellationToken.None);
            if (rows == 0 || !await attempt.FinishAsync(db, JobState.Succeeded, null, CancellationToken.None)) return;
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
                if (!await db.Transcriptions.AnyAsync(t => t.Id == row.Id, CancellationToken.None)) blobs.DeleteQuietly(StorageLayout.TranscriptionFolder(row.PublicId));
            }
        }
    }

    /// <summary>The job's end as failed and its webhook due, in one transaction, only while this attempt holds the job.</summary>
    public async Task FailAsync(AppDbContext db, JobAttempt attempt, string reason)
    {
        var now = time.UtcNowToSecond();
        await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
        if (!await attempt.FinishAsync(db, JobState.Failed, reason, CancellationToken.None)) return;
        await db.Transcriptions.Where(t => t.Id == attempt.JobId && t.WebhookUrl != null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.WebhookState, WebhookState.Pending).SetProperty(t => t.WebhookDueAt, now), CancellationToken.None);
        await transaction.CommitAsync(CancellationToken.None);
        log.LogInformation("Transcription {Id} failed: {Reason}", attempt.JobId, reason);
    }

    /// <summary>Writes the seconds decoded about once a second, while the job runs.</summary>
    async Task ReportProgressAsync(long id, string owner, LatestSeconds progress, CancellationToken ct)
    {
        var written = 0.0;
        try
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
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
