namespace CustomModels.Core.Models;

public sealed class Organization
{
    public long Id { get; set; }
    public required string Name { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>Which webhook signing secret is current; rotating bumps it (the secret itself is derived, never stored: see WebhookSecrets).</summary>
    public int WebhookSecretVersion { get; set; } = 1;
}

/// <summary>
/// An API key as stored: its public prefix (to find the row) and the SHA-256 of the whole key.
/// The key itself is shown once, when created, and never stored.
/// </summary>
public sealed class ApiKey
{
    public long Id { get; set; }
    public long OrganizationId { get; set; }
    public Organization? Organization { get; set; }
    public required string Prefix { get; set; }
    public required byte[] SecretHash { get; set; }
    /// <summary>Space-separated scopes, e.g. "custom_models:read custom_models:write".</summary>
    public required string Scopes { get; set; }
    /// <summary>0 = unlimited.</summary>
    public int RequestsPerMinute { get; set; }
    /// <summary>0 = unlimited.</summary>
    public int MaxConcurrent { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
}

public static class Scopes
{
    public const string ModelsRead = "custom_models:read";
    public const string ModelsWrite = "custom_models:write";
    public const string SttRead = "stt:read";
    public const string SttWrite = "stt:write";

    public static readonly IReadOnlyList<string> All = [ModelsRead, ModelsWrite, SttRead, SttWrite];
}
