using CustomModels.Core.Data;
using CustomModels.Core.Storage;
using CustomModels.Core.Transcriptions;

namespace CustomModels.Core.Tests.Transcriptions;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class WebhookSecretsTests : IDisposable
{
    readonly string dataDir = Path.Combine(Path.GetTempPath(), "custom-models-core-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public void The_server_key_and_its_folder_are_the_service_users_alone_and_every_instance_derives_the_same_secrets()
    {
        var blobs = new BlobStore(StorageSettings.Create(dataDir, null));
        var secret = new WebhookSecrets(blobs).SecretFor(7, 1);

        var folder = Path.Combine(dataDir, "keys");
        var key = Path.Combine(folder, "webhook-signing.key");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        Assert.Equal(32, new FileInfo(key).Length);
        Assert.Single(Directory.GetFiles(folder));
        Assert.Equal(secret, new WebhookSecrets(blobs).SecretFor(7, 1));
        Assert.NotEqual(secret, new WebhookSecrets(blobs).SecretFor(7, 2));
    }

    public void Dispose()
    {
        try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
    }
}
