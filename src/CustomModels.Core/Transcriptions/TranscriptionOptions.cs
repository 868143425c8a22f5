using CustomModels.Speech.Settings;

namespace CustomModels.Core.Transcriptions;

/// <summary>How transcriptions run; each figure can be set by an environment variable.</summary>
public sealed record TranscriptionOptions
{
    /// <summary>Transcriptions decoded at once by one process (CUSTOMMODELS_TRANSCRIPTION_WORKERS). They run beside the
    /// training worker, never in its place: neither queue can starve the other.</summary>
    public int Workers { get; init; } = 2;
    /// <summary>How long a claim holds without renewal (CUSTOMMODELS_TRANSCRIPTION_LEASE_SECONDS).</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(500);
    public int MaxAttempts { get; init; } = 3;
    /// <summary>Transcriptions one organization may have running at once over all processes
    /// (CUSTOMMODELS_ORG_MAX_RUNNING_TRANSCRIPTIONS; 0: no cap). Claims are fair without it (see JobQueue).</summary>
    public int MaxRunningPerOrganization { get; init; }
    /// <summary>Custom models whose decoders stay loaded (about 100 MB per decoder) between jobs.</summary>
    public int CachedCustomModels { get; init; } = 2;
    /// <summary>The wait before the first webhook retry (CUSTOMMODELS_WEBHOOK_RETRY_SECONDS); it doubles with each attempt.</summary>
    public TimeSpan WebhookFirstRetry { get; init; } = TimeSpan.FromSeconds(10);
    public int WebhookMaxAttempts { get; init; } = 6;
    public TimeSpan WebhookTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Hosts that webhooks may reach even at a non-public address (CUSTOMMODELS_WEBHOOK_ALLOWED_HOSTS, comma-separated
    /// names or addresses): an operator's own receivers. Every other host must be public (see <see cref="WebhookTargets"/>).</summary>
    public IReadOnlyList<string> WebhookAllowedHosts { get; init; } = [];
    /// <summary>Deliveries one process makes at once (CUSTOMMODELS_WEBHOOK_PARALLEL), and at most
    /// <see cref="WebhookDeliveriesPerHost"/> of them to one host: a slow host delays only its own.</summary>
    public int WebhookParallelDeliveries { get; init; } = 16;
    public int WebhookDeliveriesPerHost { get; init; } = 2;

    public static TranscriptionOptions FromEnvironment()
    {
        var defaults = new TranscriptionOptions();
        return defaults with
        {
            Workers = EnvironmentSettings.Whole("CUSTOMMODELS_TRANSCRIPTION_WORKERS", defaults.Workers),
            MaxRunningPerOrganization = EnvironmentSettings.Whole("CUSTOMMODELS_ORG_MAX_RUNNING_TRANSCRIPTIONS", defaults.MaxRunningPerOrganization, min: 0),
            Lease = EnvironmentSettings.Seconds("CUSTOMMODELS_TRANSCRIPTION_LEASE_SECONDS", defaults.Lease),
            WebhookFirstRetry = EnvironmentSettings.Seconds("CUSTOMMODELS_WEBHOOK_RETRY_SECONDS", defaults.WebhookFirstRetry),
            WebhookAllowedHosts = EnvironmentSettings.List("CUSTOMMODELS_WEBHOOK_ALLOWED_HOSTS"),
            WebhookParallelDeliveries = EnvironmentSettings.Whole("CUSTOMMODELS_WEBHOOK_PARALLEL", defaults.WebhookParallelDeliveries),
        };
    }
}

/// <summary>A transcription that cannot succeed, with the reason in words a user can act on; no retry would help.</summary>
public sealed class TranscriptionFailure(string reason) : Exception(reason);
