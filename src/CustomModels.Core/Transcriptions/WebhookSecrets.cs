using System.Security.Cryptography;
using System.Text;
using CustomModels.Core.Data;
using CustomModels.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace CustomModels.Core.Transcriptions;

/// <summary>
/// The per-organization webhook signing secrets. None is stored: each is derived as
/// HMAC-SHA256(server key, "webhook-secret/{organization id}/{version}"), where the server key is
/// 32 random bytes in {data folder}/keys/webhook-signing.key (created on first use, readable by the
/// service's user only) and the version is the organization's row counter that `orgs webhook-secret
/// --rotate` bumps. The database alone (a dump, a backup) reveals no secret; every process that
/// shares the data folder derives the same ones.
/// </summary>
public sealed class WebhookSecrets(BlobStore blobs)
{
    const string Prefix = "whsec_";
    byte[]? serverKey;

    public string SecretFor(long organizationId, int version)
    {
        var message = Encoding.UTF8.GetBytes($"webhook-secret/{organizationId}/{version}");
        return Prefix + Convert.ToHexStringLower(HMACSHA256.HashData(ServerKey(), message));
    }

    /// <summary>`X-Signature` of a body: "sha256=" and the lower-case hex HMAC-SHA256 of the exact bytes sent.</summary>
    public static string Sign(string secret, byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    public async Task<string> CurrentAsync(AppDbContext db, long organizationId, CancellationToken ct)
    {
        var version = await db.Organizations.Where(o => o.Id == organizationId).Select(o => o.WebhookSecretVersion).FirstAsync(ct);
        return SecretFor(organizationId, version);
    }

    /// <summary>A new secret for the organization; the old one stops signing at once.</summary>
    public async Task<string> RotateAsync(AppDbContext db, long organizationId, CancellationToken ct)
    {
        await db.Organizations.Where(o => o.Id == organizationId)
            .ExecuteUpdateAsync(s => s.SetProperty(o => o.WebhookSecretVersion, o => o.WebhookSecretVersion + 1), ct);
        return await CurrentAsync(db, organizationId, ct);
    }

    byte[] ServerKey()
    {
        if (serverKey is not null) return serverKey;
        var path = blobs.FullPath(StorageLayout.WebhookSigningKey);
        if (!File.Exists(path))
        {
            // Written whole under a temporary name, then moved without overwriting: when two
            // processes start at once, the first key in place wins and both read it. The folder
            // and the file are the service user's alone from the moment they exist (never created
            // with the umask's mode and narrowed afterwards, which leaves a moment to open them).
            if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("the service runs on Linux (file modes keep the key private)");
            var owner = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            Directory.CreateDirectory(Path.GetDirectoryName(path)!, owner | UnixFileMode.UserExecute);
            var temp = path + "." + Guid.NewGuid().ToString("N");
            using (var file = new FileStream(temp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = owner }))
                file.Write(RandomNumberGenerator.GetBytes(32));
            try { File.Move(temp, path, overwrite: false); }
            catch (IOException) { File.Delete(temp); }
        }
        var key = File.ReadAllBytes(path);
        if (key.Length < 32) throw new InvalidOperationException($"the webhook signing key {path} is shorter than 32 bytes");
        return serverKey = key;
    }
}
