using CustomModels.Core.Jobs;
using CustomModels.Speech.Settings;

namespace CustomModels.Core.Transcriptions;

/// <summary>How transcriptions run (TranscriptionServices registers them as settings, see <see cref="SettingsOptions"/>).</summary>
public sealed class TranscriptionOptions
{
    /// <summary>
    /// Attempts, lease and polling. Loops: transcriptions decoded at once by one process
    /// (CUSTOMMODELS_TRANSCRIPTION_WORKERS), which run beside the training worker, never in its place,
    /// so neither queue can starve the other. The lease: CUSTOMMODELS_TRANSCRIPTION_LEASE_SECONDS.
    /// Transcriptions one organization may have running at once over all processes:
    /// CUSTOMMODELS_ORG_MAX_RUNNING_TRANSCRIPTIONS (0: no cap); claims are fair without it (see JobQueue).
    /// </summary>
    public JobRunnerOptions Jobs { get; set; } = new() { Loops = 2, PollInterval = TimeSpan.FromMilliseconds(500) };
    /// <summary>Transcriptions decoded at once by one process, and so the decoders each loaded model keeps.</summary>
    public int Workers => Jobs.Loops;
    /// <summary>Custom models whose decoders stay loaded (about 100 MB per decoder) between jobs.</summary>
    public int CachedCustomModels { get; set; } = 2;
    /// <summary>How often the webhook sender looks for deliveries due when none has just ended.</summary>
    public TimeSpan WebhookPollInterval { get; set; } = TimeSpan.FromMilliseconds(500);
    /// <summary>The wait before the first webhook retry (CUSTOMMODELS_WEBHOOK_RETRY_SECONDS); it doubles with each attempt.</summary>
    public TimeSpan WebhookFirstRetry { get; set; } = TimeSpan.FromSeconds(10);
    public int WebhookMaxAttempts { get; set; } = 6;
    public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>Hosts that webhooks may reach even at a non-public address (CUSTOMMODELS_WEBHOOK_ALLOWED_HOSTS, comma-separated
    /// names or addresses): an operator's own receivers. Every other host must be public (see <see cref="WebhookTargets"/>).</summary>
    public IReadOnlyList<string> WebhookAllowedHosts { get; set; } = [];
    /// <summary>Deliveries one process makes at once (CUSTOMMODELS_WEBHOOK_PARALLEL), and at most
    /// <see cref="WebhookDeliveriesPerHost"/> of them to one host: a slow host delays only its own.</summary>
    public int WebhookParallelDeliveries { get; set; } = 16;
    public int WebhookDeliveriesPerHost { get; set; } = 2;

    public void Read(SettingsReader settings)
    {
        Jobs.Loops = settings.Whole("CUSTOMMODELS_TRANSCRIPTION_WORKERS", Jobs.Loops);
        Jobs.MaxRunningPerOrganization = settings.Whole("CUSTOMMODELS_ORG_MAX_RUNNING_TRANSCRIPTIONS", Jobs.MaxRunningPerOrganization, min: 0);
        Jobs.Lease = settings.Seconds("CUSTOMMODELS_TRANSCRIPTION_LEASE_SECONDS", Jobs.Lease);
        WebhookFirstRetry = settings.Seconds("CUSTOMMODELS_WEBHOOK_RETRY_SECONDS", WebhookFirstRetry);
        WebhookAllowedHosts = settings.List("CUSTOMMODELS_WEBHOOK_ALLOWED_HOSTS");
        WebhookParallelDeliveries = settings.Whole("CUSTOMMODELS_WEBHOOK_PARALLEL", WebhookParallelDeliveries);
    }
}

/// <summary>A transcription that cannot succeed, with the reason in words a user can act on; no retry would help.</summary>
public sealed class TranscriptionFailure(string reason) : Exception(reason);
