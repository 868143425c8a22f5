using System.Net.Http.Json;
using CustomModels.Api.Tests.Infrastructure;
using CustomModels.Core.Data;
using CustomModels.Core.Jobs;
using CustomModels.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CustomModels.Api.Tests.Hosting;

/// <summary>
/// The reconciler removes what no row refers to once it is older than the grace period (an hour by
/// default), and nothing a row names or a running training works on. Each test has a service of its
/// own without workers, so that a test plays the worker where it needs one; a pass is run through
/// the service's own reconciler, and "older" is a file dated two hours back.
/// </summary>
public abstract class StorageReconcilerTests(DatabaseKind kind)
{
    static readonly DateTime LongAgo = DateTime.UtcNow.AddHours(-2);

    static string Recording() => Directory.GetFiles(TestAudio.Librivox, "*.wav").Order(StringComparer.Ordinal).First();

    static Task<TestService> StartAsync(DatabaseKind kind) => TestService.StartAsync(kind, o => o with { RunWorker = false });

    static Task<IReadOnlyList<string>> PassAsync(TestService service) =>
        service.Services.GetRequiredService<StorageReconciler>().ReconcileAsync(CancellationToken.None);

    static string FullPath(TestService service, string relative) => Path.Combine(service.Storage.DataDirectory, relative);

    /// <summary>A file at <paramref name="relative"/>, dated <paramref name="written"/> (the folders it needs too).</summary>
    static string Plant(TestService service, string relative, DateTime written)
    {
        var path = FullPath(service, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "left behind");
        Age(path, written);
        return relative;
    }

    /// <summary>Dates a file, or a folder and everything in it.</summary>
    static void Age(string path, DateTime written)
    {
        if (File.Exists(path))
        {
            File.SetLastWriteTimeUtc(path, written);
            return;
        }
        foreach (var entry in new DirectoryInfo(path).EnumerateFileSystemInfos("*", SearchOption.AllDirectories)) entry.LastWriteTimeUtc = written;
        Directory.SetLastWriteTimeUtc(path, written);
    }

    static async Task<(HttpClient Client, long Id)> ModelWithTextAsync(TestService service)
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var id = (long)(await client.CreateModelAsync())["id"]!;
        var text = new MultipartFormDataContent { { new StringContent("train"), "type" } };
        text.Add(new StringContent("the patient was started on metoprolol"), "transcript_file", "letters.txt");
        await (await client.PutAsync($"{TrainingClient.Models}/{id}/data", text)).AssertOkAsync();
        return (client, id);
    }

    [Fact]
    public async Task A_file_no_row_names_goes_after_the_grace_period_and_every_file_a_row_names_stays()
    {
        await using var service = await StartAsync(kind);
        var (client, id) = await ModelWithTextAsync(service);
        var transcription = (string)(await client.TranscribeAsync(Recording()))["id"]!;
        var dataBefore = await client.GetStringAsync($"{TrainingClient.Models}/{id}/data");
        var sttBefore = await client.GetStringAsync($"{TranscriptionClient.Stt}/{transcription}/status");
        // Everything the rows name is as old as the orphans: only the rows keep it.
        Age(FullPath(service, StorageLayout.ModelFolder(id)), LongAgo);
        Age(FullPath(service, StorageLayout.TranscriptionFolder(transcription)), LongAgo);
        var named = DataFolder.Files(service.Storage.DataDirectory, IsTemp);

        // Files renamed into place whose rows never committed (the process died in between).
        var orphans = new[]
        {
            Plant(service, StorageLayout.DataTranscript(id, "never-committed"), LongAgo),
            Plant(service, StorageLayout.DataAudio(id, "never-committed"), LongAgo),
            Plant(service, StorageLayout.TranscriptionResult(transcription, "1-1-dead00"), LongAgo),
        };
        Plant(service, StorageLayout.TranscriptionAudio("stt_nevercommitted0000"), LongAgo);
        Age(FullPath(service, StorageLayout.TranscriptionFolder("stt_nevercommitted0000")), LongAgo);
        // One just renamed into place, whose row is about to commit.
        var young = Plant(service, StorageLayout.DataTranscript(id, "about-to-commit"), DateTime.UtcNow);

        var removed = await PassAsync(service);

        Assert.Equal(orphans.Append(StorageLayout.TranscriptionFolder("stt_nevercommitted0000")).Order(), removed.Order());
        Assert.True(File.Exists(FullPath(service, young)), "a file younger than the grace period was removed");
        File.Delete(FullPath(service, young));
        Assert.Equal(named, DataFolder.Files(service.Storage.DataDirectory, IsTemp));
        Assert.Equal(dataBefore, await client.GetStringAsync($"{TrainingClient.Models}/{id}/data"));
        Assert.Equal(sttBefore, await client.GetStringAsync($"{TranscriptionClient.Stt}/{transcription}/status"));
        Assert.Empty(await PassAsync(service));
    }

    [Fact]
    public async Task A_model_deleted_part_way_leaves_nothing_behind()
    {
        await using var service = await StartAsync(kind);
        var (client, id) = await ModelWithTextAsync(service);
        // A training attempt's work and an artifact it published while the model was being deleted,
        // and then the delete's first step (the row) without its second (the files): the process died.
        Plant(service, Path.Combine(StorageLayout.WorkFolder(id, "7-1-abcdef"), "text.txt"), DateTime.UtcNow);
        Plant(service, Path.Combine(StorageLayout.ArtifactFolder(id, "7-1-abcdef"), "model.json"), DateTime.UtcNow);
        await using (var scope = service.Services.CreateAsyncScope())
            Assert.Equal(1, await scope.ServiceProvider.GetRequiredService<AppDbContext>().CustomModels.Where(m => m.Id == id).ExecuteDeleteAsync());

        // Within the grace period the folder stays (a pass never races a writer's commit)...
        Assert.Empty(await PassAsync(service));
        Assert.True(Directory.Exists(FullPath(service, StorageLayout.ModelFolder(id))));
        // ...once it has been left alone for longer, it goes whole.
        Age(FullPath(service, StorageLayout.ModelFolder(id)), LongAgo);
        Assert.Equal([StorageLayout.ModelFolder(id)], await PassAsync(service));
        Assert.False(Directory.Exists(FullPath(service, StorageLayout.ModelFolder(id))));
        await (await client.GetAsync($"{TrainingClient.Models}/{id}")).AssertErrorAsync(System.Net.HttpStatusCode.NotFound, "MODEL_NOT_FOUND");
    }

    [Fact]
    public async Task A_running_training_keeps_its_work_folder_and_its_unpublished_artifact_until_it_ends()
    {
        await using var service = await StartAsync(kind);
        var (client, id) = await ModelWithTextAsync(service);
        await client.RunAsync(id);
        // This test is the worker: it claims the job and, as an attempt would, works in its folder and
        // moves its artifact into place before the commit that names it.
        ClaimedJob job;
        await using (var scope = service.Services.CreateAsyncScope())
            job = (await JobQueue.Training.ClaimAsync(scope.ServiceProvider.GetRequiredService<AppDbContext>(), "test-worker",
                TimeSpan.FromMinutes(10), CancellationToken.None))!;
        Assert.Equal(id, job.TargetId);
        var work = StorageLayout.WorkFolder(id, "attempt");
        var artifact = StorageLayout.ArtifactFolder(id, "attempt");
        Plant(service, Path.Combine(work, "text.txt"), LongAgo);
        Plant(service, Path.Combine(artifact, "model.json"), LongAgo);
        Age(FullPath(service, StorageLayout.ModelFolder(id)), LongAgo);

        Assert.Empty(await PassAsync(service));
        Assert.True(Directory.Exists(FullPath(service, work)) && Directory.Exists(FullPath(service, artifact)));

        // Cancelled: the job ends, and what its attempt left goes.
        await (await client.PostAsync($"{TrainingClient.Models}/{id}/cancel", JsonContent.Create(new { }))).AssertOkAsync();
        Assert.Equal([artifact, work], (await PassAsync(service)).Order());
        Assert.False(Directory.Exists(FullPath(service, work)) || Directory.Exists(FullPath(service, artifact)));
        Assert.Equal(1, (int)(await (await client.GetAsync($"{TrainingClient.Models}/{id}/data")).AssertOkAsync())["count"]!);
    }

    [Fact]
    public async Task A_running_transcription_keeps_its_whole_folder_and_once_ended_only_what_its_row_names()
    {
        await using var service = await StartAsync(kind);
        var client = (await service.CreateOrganizationAsync()).Client();
        var id = (string)(await client.TranscribeAsync(Recording()))["id"]!;
        // This test is the worker: it claims the job and writes its keyterm model, as an attempt does.
        ClaimedJob job;
        await using (var scope = service.Services.CreateAsyncScope())
            job = (await JobQueue.Transcription.ClaimAsync(scope.ServiceProvider.GetRequiredService<AppDbContext>(), "test-worker",
                TimeSpan.FromMinutes(10), CancellationToken.None))!;
        var keyterms = Plant(service, StorageLayout.KeytermModel(id, "attempt"), LongAgo);
        Age(FullPath(service, StorageLayout.TranscriptionFolder(id)), LongAgo);

        Assert.Empty(await PassAsync(service));
        Assert.True(File.Exists(FullPath(service, keyterms)));

        // The job ends (here as failed): the attempt's leftover goes, the audio its row names stays.
        await using (var scope = service.Services.CreateAsyncScope())
            Assert.True(await JobQueue.Transcription.FinishAsync(scope.ServiceProvider.GetRequiredService<AppDbContext>(), job.Id, "test-worker",
                JobState.Failed, "the worker stopped", CancellationToken.None));
        Assert.Equal([keyterms], await PassAsync(service));
        Assert.True(File.Exists(FullPath(service, StorageLayout.TranscriptionAudio(id))));
        Assert.Equal("failed", (string?)(await client.StatusAsync(id))["status"]);
    }

    internal static bool IsTemp(string relative) => relative.StartsWith(StorageLayout.TempFolder + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}

public sealed class StorageReconcilerTestsOnSqlite() : StorageReconcilerTests(DatabaseKind.Sqlite);

public sealed class StorageReconcilerTestsOnPostgres() : StorageReconcilerTests(DatabaseKind.Postgres);

/// <summary>The service runs the passes on its own: at start-up and then every half of the grace period.</summary>
public sealed class StorageReconcilerProcessTests : IDisposable
{
    readonly string dataDir = Path.Combine(Path.GetTempPath(), "custom-models-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(dataDir, true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_running_service_removes_an_orphan_once_the_grace_period_has_passed_and_logs_it()
    {
        var key = await ServiceProcess.CreateUnlimitedKeyAsync(dataDir);
        using var service = await ServiceProcess.StartAsync(dataDir, new Dictionary<string, string> { ["CUSTOMMODELS_ORPHAN_GRACE_SECONDS"] = "2" },
            "--no-worker");
        using var client = new HttpClient { BaseAddress = service.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        var id = (long)(await client.CreateModelAsync())["id"]!;
        var text = new MultipartFormDataContent { { new StringContent("train"), "type" } };
        text.Add(new StringContent("the patient was started on metoprolol"), "transcript_file", "letters.txt");
        await (await client.PutAsync($"{TrainingClient.Models}/{id}/data", text)).AssertOkAsync();
        var named = DataFolder.Files(dataDir, StorageReconcilerTests.IsTemp);

        // An upload moved into place whose row never committed.
        var orphan = StorageLayout.DataTranscript(id, "never-committed");
        await File.WriteAllTextAsync(Path.Combine(dataDir, orphan), "left behind");

        var giveUp = DateTime.UtcNow.AddSeconds(90); // only stops a test that would wait forever
        while (File.Exists(Path.Combine(dataDir, orphan)))
        {
            Assert.True(DateTime.UtcNow < giveUp, "the orphan was never removed: " + service.Output);
            await Task.Delay(200);
        }
        Assert.Contains($"Removed {orphan}", service.Output);
        Assert.Equal(named, DataFolder.Files(dataDir, StorageReconcilerTests.IsTemp));
        Assert.Equal(1, (int)(await (await client.GetAsync($"{TrainingClient.Models}/{id}/data")).AssertOkAsync())["count"]!);
    }
}
