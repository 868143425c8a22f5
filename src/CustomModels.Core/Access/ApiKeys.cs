using System.Security.Cryptography;
using System.Text;
using CustomModels.Core.Data;
using CustomModels.Core.Listing;
using CustomModels.Core.Models;
using Microsoft.EntityFrameworkCore;

namespace CustomModels.Core.Access;

/// <summary>Default limits of a new key: the public List page's figures.</summary>
public static class KeyLimits
{
    public const int DefaultRequestsPerMinute = 100;
    public const int DefaultMaxConcurrent = 10;
}

/// <summary>A key that passed authentication: what the request may do and for whom.</summary>
/// <remarks><see cref="Prefix"/> is the key's public part: it names the key in the rate limits' counters.</remarks>
public sealed record AuthenticatedKey(long KeyId, string Prefix, long OrganizationId, IReadOnlySet<string> Scopes, int RequestsPerMinute, int MaxConcurrent);

public enum KeyCheck { Valid, Invalid, Revoked }

/// <summary>
/// Creating, finding and revoking API keys. A key reads `cmk_{prefix}_{secret}`: the prefix finds
/// the row, the SHA-256 of the whole key is compared in constant time. Keys carry 256 bits of
/// randomness, so a fast hash is enough (no password stretching needed) and the clear key is never kept.
/// </summary>
public static class ApiKeys
{
    const string KeyStart = "cmk_";
    const int PrefixLength = 12;
    static readonly byte[] DummyHash = SHA256.HashData("no such key"u8);

    public sealed record CreatedKey(ApiKey Row, string Key);

    public static async Task<CreatedKey> CreateKeyAsync(AppDbContext db, long organizationId, IEnumerable<string> scopes,
        int requestsPerMinute = KeyLimits.DefaultRequestsPerMinute, int maxConcurrent = KeyLimits.DefaultMaxConcurrent,
        CancellationToken ct = default)
    {
        var scopeList = scopes.Select(s => s.Trim()).Where(s => s.Length > 0).Distinct().ToList();
        var unknown = scopeList.Where(s => !Models.Scopes.All.Contains(s)).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"unknown scope(s): {string.Join(", ", unknown)}; known: {string.Join(", ", Models.Scopes.All)}");
        if (scopeList.Count == 0) throw new ArgumentException("a key needs at least one scope");
        if (requestsPerMinute < 0 || maxConcurrent < 0) throw new ArgumentException("limits must be 0 (unlimited) or more");

        var prefix = RandomString(PrefixLength);
        var key = KeyStart + prefix + "_" + Base64Url(RandomNumberGenerator.GetBytes(32));
        var row = new ApiKey
        {
            OrganizationId = organizationId,
            Prefix = prefix,
            SecretHash = Hash(key),
            Scopes = string.Join(' ', scopeList),
            RequestsPerMinute = requestsPerMinute,
            MaxConcurrent = maxConcurrent,
            CreatedAt = TimeProvider.System.UtcNowToSecond(),
        };
        db.ApiKeys.Add(row);
        await db.SaveChangesAsync(ct);
        return new CreatedKey(row, key);
    }

    // The key lookup of every request: a plain command that stays prepared (PreparedReads), without
    // the query pipeline of an EF query. Read afresh on every request, so a revocation by another
    // process counts from its commit on.
    const string LookupSql = "SELECT \"Id\", \"OrganizationId\", \"SecretHash\", \"RevokedAt\" IS NOT NULL, \"Scopes\", "
        + "\"RequestsPerMinute\", \"MaxConcurrent\" FROM api_keys WHERE \"Prefix\" = @prefix";

    /// <summary>Finds the key a request presents. Unknown and malformed keys cost the same hash comparison.</summary>
    public static async Task<(KeyCheck Check, AuthenticatedKey? Key)> AuthenticateAsync(
        PreparedReads reads, string presented, CancellationToken ct = default)
    {
        var prefix = PrefixOf(presented);
        KeyRow? row = null;
        if (prefix is not null)
        {
            using var read = reads.Start(LookupSql);
            read.Add("@prefix", prefix);
            await using var reader = await read.Command.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct))
                row = new KeyRow(reader.GetInt64(0), reader.GetInt64(1), (byte[])reader.GetValue(2), reader.GetBoolean(3),
                    reader.GetString(4), reader.GetInt32(5), reader.GetInt32(6));
        }
        var matches = CryptographicOperations.FixedTimeEquals(Hash(presented), row?.SecretHash ?? DummyHash) && row is not null;
        if (!matches) return (KeyCheck.Invalid, null);
        if (row!.Revoked) return (KeyCheck.Revoked, null);
        var scopes = row.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        return (KeyCheck.Valid, new AuthenticatedKey(row.Id, prefix!, row.OrganizationId, scopes, row.RequestsPerMinute, row.MaxConcurrent));
    }

    sealed record KeyRow(long Id, long OrganizationId, byte[] SecretHash, bool Revoked, string Scopes, int RequestsPerMinute, int MaxConcurrent);

    /// <summary>
    /// Revokes by numeric id, by prefix (bare, or as `keys list` prints it: cmk_ and the prefix), or
    /// by the whole key. Returns the revoked row, or null if none matched.
    /// </summary>
    public static async Task<ApiKey?> RevokeAsync(AppDbContext db, string idPrefixOrKey, CancellationToken ct = default)
    {
        ApiKey? row;
        if (long.TryParse(idPrefixOrKey, out var id))
            row = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id, ct);
        else if (idPrefixOrKey.StartsWith(KeyStart, StringComparison.Ordinal) && idPrefixOrKey.Length == KeyStart.Length + PrefixLength)
        {
            var listed = idPrefixOrKey[KeyStart.Length..];
            row = await db.ApiKeys.FirstOrDefaultAsync(k => k.Prefix == listed, ct);
        }
        else
        {
            var prefix = PrefixOf(idPrefixOrKey) ?? idPrefixOrKey;
            row = await db.ApiKeys.FirstOrDefaultAsync(k => k.Prefix == prefix, ct);
            if (row is not null && idPrefixOrKey.StartsWith(KeyStart, StringComparison.Ordinal)
                && !CryptographicOperations.FixedTimeEquals(Hash(idPrefixOrKey), row.SecretHash))
                row = null;
        }
        if (row is null) return null;
        row.RevokedAt ??= TimeProvider.System.UtcNowToSecond();
        await db.SaveChangesAsync(ct);
        return row;
    }

    static string? PrefixOf(string key)
    {
        if (!key.StartsWith(KeyStart, StringComparison.Ordinal)) return null;
        var end = key.IndexOf('_', KeyStart.Length);
        return end - KeyStart.Length == PrefixLength ? key.Substring(KeyStart.Length, PrefixLength) : null;
    }

    static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    static string RandomString(int length)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        return RandomNumberGenerator.GetString(alphabet, length);
    }

    static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
