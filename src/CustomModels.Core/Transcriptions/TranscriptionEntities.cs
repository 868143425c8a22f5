using CustomModels.Core.Jobs;

namespace CustomModels.Core.Transcriptions;

/// <summary>
/// One transcription: the uploaded audio, the job that decodes it (this row is the queue's row:
/// it carries the lease columns of <see cref="JobQueue"/>) and, once done, the result's blob.
/// Job states read as the API's statuses: queued = uploaded, running = processing, succeeded = done.
/// </summary>
public sealed class TranscriptionJob
{
    public long Id { get; set; }
    /// <summary>"stt_" and 20 random characters: ids that cannot be guessed or counted.</summary>
    public required string PublicId { get; set; }
    public long OrganizationId { get; set; }
    public required string Language { get; set; }
    /// <summary>The custom model asked for, or null for the language's base model. No foreign key: a
    /// transcription outlives its model, and a job whose model was deleted fails with that reason.</summary>
    public long? ModelId { get; set; }
    /// <summary>The version of <see cref="ModelId"/> that decodes: the one asked for, or the one active when the audio was sent.</summary>
    public int? ModelVersion { get; set; }
    public string? AudioFileName { get; set; }
    /// <summary>The request's keyterms as checked when the audio was sent (JSON of <see cref="KeytermReport"/>s), or null.</summary>
    public string? Keyterms { get; set; }
    /// <summary>Blob paths relative to the data folder.</summary>
    public required string AudioBlob { get; set; }
    public string? ResultBlob { get; set; }
    public double DurationSeconds { get; set; }
    /// <summary>Seconds of audio decoded so far by the worker that holds the job.</summary>
    public double DecodedSeconds { get; set; }
    public JobState State { get; set; } = JobState.Queued;
    public int Attempts { get; set; }
    public string? LeaseOwner { get; set; }
    public DateTime? LeaseExpiresAt { get; set; }
    /// <summary>Why the job failed (state Failed), or the last attempt's error, in words a user can act on.</summary>
    public string? LastError { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }

    public string? WebhookUrl { get; set; }
    /// <summary>The webhook's host (<see cref="WebhookTargets.HostOf"/>): deliveries to a host at its limit are not read.</summary>
    public string? WebhookHost { get; set; }
    /// <summary>Where the result is fetched, as the client reached the service when it sent the audio.</summary>
    public string? ResultUrl { get; set; }
    public WebhookState WebhookState { get; set; } = WebhookState.None;
    public int WebhookAttempts { get; set; }
    /// <summary>When the next delivery attempt is due; a sender that takes it moves it forward (its lease).</summary>
    public DateTime? WebhookDueAt { get; set; }
}

public enum WebhookState
{
    None = 0,
    Pending = 1,
    Delivered = 2,
    Failed = 3,
}

/// <summary>One attempt to deliver a transcription's webhook, kept for the record.</summary>
public sealed class WebhookDelivery
{
    public long Id { get; set; }
    public long TranscriptionId { get; set; }
    public int Attempt { get; set; }
    public required string Url { get; set; }
    /// <summary>The receiver's HTTP status, or null when no answer came (then <see cref="Error"/> says why).</summary>
    public int? StatusCode { get; set; }
    public string? Error { get; set; }
    public DateTime AttemptedAt { get; set; }
    public int DurationMilliseconds { get; set; }
}
