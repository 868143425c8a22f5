using System.Diagnostics;
using System.Net;
using CustomModels.Api.Tests.Infrastructure;
using CustomModels.Core.Data;
using Microsoft.Data.Sqlite;

namespace CustomModels.Api.Tests.Hosting;

/// <summary>
/// The service with its data folder on a small tmpfs that the test fills (SQLite: the database
/// too; PostgreSQL: the blobs only): uploads and, on SQLite, database writes answer 507 and leave
/// nothing behind, nothing acknowledged is lost, and once space is freed the same process works again.
/// </summary>
public sealed class FullDiskTests : IAsyncLifetime
{
    readonly string mount = Path.Combine(Path.GetTempPath(), "custom-models-tests", "disk-" + Guid.NewGuid().ToString("N"));
    bool mounted;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(mount);
        // Root can mount a tmpfs (CI runs as root); anyone else gets this test's failure, not a silent pass.
        var (code, output) = await RunAsync("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", mount);
        Assert.True(code == 0, $"this test mounts a 16 MB tmpfs and needs root for it (CI runs as root): mount said {output}");
        mounted = true;
    }

    public async Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        if (mounted)
        {
            var (code, _) = await RunAsync("umount", mount);
            if (code != 0) await RunAsync("umount", "--lazy", mount); // a file the runtime still holds open
        }
        try { Directory.Delete(mount, recursive: true); } catch (IOException) { }
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.Postgres)]
    public async Task A_full_disk_answers_507_keeps_everything_acknowledged_and_the_service_recovers_without_a_restart(DatabaseKind kind)
    {
        var dataDir = Path.Combine(mount, "data");
        await using var service = await TestService.StartAsync(kind, o => o with
        {
            Storage = StorageSettings.Create(dataDir, o.Storage.IsPostgres ? o.Storage.ConnectionString : null),
            RunWorker = false,
        });
        var client = (await service.CreateOrganizationAsync()).Client();
        var audio = Directory.GetFiles(TestAudio.Librivox, "*.wav").Order(StringComparer.Ordinal).First();
        var transcript = Path.Combine(Path.GetTempPath(), "custom-models-tests", Guid.NewGuid().ToString("N") + ".txt");
        await File.WriteAllTextAsync(transcript, "he was not an ill disposed young man");
        try
        {
            var models = new List<long> { (long)(await client.CreateModelAsync())["id"]! };
            var dataPath = $"{TrainingClient.Models}/{models[0]}/data";
            await client.UploadPairAsync(models[0], "train", audio, transcript);
            var stt = (string)(await client.TranscribeAsync(audio))["id"]!;
            var data = await client.GetStringAsync(dataPath);
            var files = DataFolder.Files(dataDir);

            var filler = FillDisk(Path.Combine(mount, "filler"));
            Assert.Equal(0, new DriveInfo(mount).AvailableFreeSpace);

            // Uploads: 507 in the error shape, no file and no row left.
            await (await client.PutAsync(dataPath, TrainingClient.Pair("train", audio, transcript)))
                .AssertErrorAsync(HttpStatusCode.InsufficientStorage, "INSUFFICIENT_STORAGE");
            await (await client.PostAsync(TranscriptionClient.Stt, TranscriptionClient.Form(audio)))
                .AssertErrorAsync(HttpStatusCode.InsufficientStorage, "INSUFFICIENT_STORAGE");
            Assert.True(files.SequenceEqual(DataFolder.Files(dataDir)), DataFolder.Describe(files, DataFolder.Files(dataDir)));
            Assert.Equal(data, await client.GetStringAsync(dataPath));

            // Writes to the database: the pages SQLite already has take a few; then it cannot grow and answers 507.
            var refused = kind == DatabaseKind.Postgres; // its database is not on the full disk
            for (var i = 0; i < 5000 && !refused; i++)
            {
                var response = await client.PostAsync(TrainingClient.Models,
                    Http.Json(new { name = $"model {i}", language = "en", description = new string('d', 1000) }));
                if (response.StatusCode == HttpStatusCode.Created) models.Add((long)(await response.ReadObjectAsync())["id"]!);
                else
                {
                    await response.AssertErrorAsync(HttpStatusCode.InsufficientStorage, "INSUFFICIENT_STORAGE");
                    refused = true;
                }
            }
            Assert.True(refused, "SQLite kept accepting models on a full disk");

            // Space again: everything acknowledged is there, whole, and the same process serves writes again.
            File.Delete(filler);
            foreach (var id in models) await client.GetModelAsync(id);
            var list = await (await client.GetAsync($"{TrainingClient.Models}?per_page=1")).AssertOkAsync();
            Assert.Equal(models.Count, (int)list["total_results"]!);
            Assert.Equal(data, await client.GetStringAsync(dataPath));
            await client.StatusAsync(stt);
            Assert.True(files.SequenceEqual(DataFolder.Files(dataDir)), DataFolder.Describe(files, DataFolder.Files(dataDir)));
            if (kind == DatabaseKind.Sqlite) Assert.Equal("ok", IntegrityCheck(service.Storage.ConnectionString));

            await client.CreateModelAsync();
            await client.UploadPairAsync(models[0], "train", audio, transcript);
            await client.TranscribeAsync(audio);
        }
        finally
        {
            File.Delete(transcript);
        }
    }

    /// <summary>Writes a file until the file system refuses; returns its path.</summary>
    static string FillDisk(string path)
    {
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        foreach (var size in new[] { 1 << 20, 4096, 1 })
        {
            var block = new byte[size];
            try
            {
                while (true) file.Write(block);
            }
            catch (IOException) { }
        }
        return path;
    }

    static string IntegrityCheck(string connectionString)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        return (string)command.ExecuteScalar()!;
    }

    static async Task<(int Code, string Output)> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output.Trim());
    }
}
