using CustomModels.Tests.Infrastructure;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using CustomModels.Api.Tests.Infrastructure;
using CustomModels.Core.Access;
using CustomModels.Core.Data;
using CustomModels.Core.Jobs;
using CustomModels.Core.Models;
using Microsoft.EntityFrameworkCore;

namespace CustomModels.Api.Tests.ScaleOut;

/// <summary>
/// The many-machine deployment on loopback: two `serve --no-worker` and two `worker` processes on
/// one PostgreSQL database, one Redis and one data folder. Trainings and transcriptions go through
/// both API processes while a worker holding a job is killed; every job ends done, the rate limit
/// holds across both API processes, and every acknowledged upload is intact.
/// </summary>
public sealed class ScaleOutTests : IAsyncLifetime
{
    const string Models = "/api/v3/custom_models";
    readonly string dataDir = Path.Combine(Path.GetTempPath(), "custom-models-tests", Guid.NewGuid().ToString("N"));
    readonly List<ServiceProcess> processes = [];
    string database = null!;
    StorageSettings storage = null!;

    public async Task InitializeAsync()
    {
        (database, var connectionString) = await TestPostgres.CreateDatabaseAsync();
        storage = StorageSettings.Create(dataDir, connectionString);
    }

    public async Task DisposeAsync()
    {
        foreach (var process in processes) process.Dispose();
        await TestPostgres.DropDatabaseAsync(database);
        try { Directory.Delete(dataDir, true); } catch (IOException) { }
    }

    /// <summary>Each process is stopped at the end, also when another one failed to start.</summary>
    async Task<ServiceProcess> Started(Task<ServiceProcess> start)
    {
        var process = await start;
        lock (processes) processes.Add(process);
        return process;
    }

    sealed record Upload(long ModelId, long DataId, string Audio, string Transcript);

    [Fact]
    public async Task Two_API_processes_and_two_workers_finish_every_job_through_a_worker_kill_and_share_the_rate_limit()
    {
        var audio = await TestAudio.CardiologyAsync();
        var environment = new Dictionary<string, string>
        {
            ["CUSTOMMODELS_DATABASE"] = storage.ConnectionString,
            ["CUSTOMMODELS_REDIS"] = TestService.RedisConfiguration(),
            // Short leases: a killed worker's job is taken over within seconds.
            ["CUSTOMMODELS_TRAINING_LEASE_SECONDS"] = "3",
            ["CUSTOMMODELS_TRANSCRIPTION_LEASE_SECONDS"] = "3",
            ["CUSTOMMODELS_TRANSCRIPTION_WORKERS"] = "1",
        };

        // All four start at once on the empty database: one migrates at a time, one creates the first key.
        var apiStarts = Enumerable.Range(0, 2).Select(_ => Started(ServiceProcess.StartAsync(dataDir, environment, "--no-worker"))).ToList();
        var workerStarts = Enumerable.Range(0, 2).Select(_ => Started(ServiceProcess.StartWorkerAsync(dataDir, environment))).ToList();
        var apis = await Task.WhenAll(apiStarts);
        var workers = await Task.WhenAll(workerStarts);
        Assert.Single(apis, a => a.Output.Contains("It is shown this once"));

        string jobsKey, limitedKey;
        const int perMinute = 12;
        await using (var db = Database.Open(storage))
        {
            var org = await Organizations.CreateAsync(db, "scale-out");
            jobsKey = (await ApiKeys.CreateKeyAsync(db, org.Id, Scopes.All, 0, 0)).Key;
            limitedKey = (await ApiKeys.CreateKeyAsync(db, org.Id, [Scopes.ModelsRead], perMinute, 0)).Key;
        }
        HttpClient Client(ServiceProcess api, string key)
        {
            var client = new HttpClient { BaseAddress = api.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            return client;
        }
        var clients = apis.Select(a => Client(a, jobsKey)).ToArray();

        // Models, their training data and the trainings, through both API processes in turn.
        var uploads = new List<Upload>();
        var modelIds = new List<long>();
        for (var m = 0; m < 3; m++)
        {
            var id = (long)(await clients[m % 2].CreateModelAsync($"scale-out {m}"))["id"]!;
            modelIds.Add(id);
            var pairs = Enumerable.Range(1 + m * 8, 8).Select(i => ("train", $"train_{i:00}"))
                .Concat(Enumerable.Range(1 + m * 2, 2).Select(i => ("test", $"test_{i:00}")));
            var n = 0;
            foreach (var (type, name) in pairs)
            {
                var (wav, txt) = (Path.Combine(audio, name + ".wav"), Path.Combine(audio, name + ".txt"));
                var answer = await clients[n++ % 2].UploadPairAsync(id, type, wav, txt);
                uploads.Add(new Upload(id, (long)answer["data_id"]!, wav, txt));
            }
        }
        foreach (var (id, i) in modelIds.Select((id, i) => (id, i))) await clients[i % 2].RunAsync(id);
        var recordings = Directory.GetFiles(TestAudio.Librivox, "*.wav").Order().Take(4).ToList();
        var transcriptions = new List<string>();
        foreach (var (recording, i) in recordings.Select((r, i) => (r, i)))
            transcriptions.Add((string)(await clients[i % 2].TranscribeAsync(recording))["id"]!);

        // Kill a worker while it holds a training: the owner of a lease names its process.
        var (victim, heldJob) = await WorkerHoldingATrainingAsync(workers);
        victim.Kill();
        var survivor = workers.Single(w => w != victim);

        // The rate limit holds across both API processes together, requests racing on both.
        var limited = apis.Select(a => Client(a, limitedKey)).ToArray();
        var answers = await Task.WhenAll(Enumerable.Range(0, 2 * perMinute).Select(i => limited[i % 2].GetAsync(Models)));
        Assert.Equal(perMinute, answers.Count(a => a.StatusCode == HttpStatusCode.OK));
        foreach (var refused in answers.Where(a => a.StatusCode != HttpStatusCode.OK))
            await refused.AssertErrorAsync(HttpStatusCode.TooManyRequests, "RATE_LIMIT_EXCEEDED");
        // Each answered request saw its own count: the Remaining values are N-1 … 0, each once.
        Assert.Equal(Enumerable.Range(0, perMinute), answers.Where(a => a.StatusCode == HttpStatusCode.OK)
            .Select(a => int.Parse(a.Headers.GetValues("X-RateLimit-Remaining").Single())).Order());

        // Every job ends done, followed through the API process that did not start it.
        foreach (var (id, i) in modelIds.Select((id, i) => (id, i)))
        {
            var done = await clients[(i + 1) % 2].WaitAsync(id, timeoutSeconds: 240);
            Assert.True((int)done["training_status"]! == 4, done.ToJsonString() + "\n" + survivor.Output);
            Assert.NotNull(done["training_metrics"]!["word_error_rate"]);
            Assert.NotNull(done["training_metrics"]!["base_word_error_rate"]);
        }
        foreach (var (id, i) in transcriptions.Select((id, i) => (id, i)))
        {
            var status = await clients[(i + 1) % 2].WaitTranscriptionAsync(id, timeoutSeconds: 240);
            Assert.True((string?)status["status"] == "done", status.ToJsonString() + "\n" + survivor.Output);
            var result = await clients[i % 2].ResultAsync(id);
            Assert.False(string.IsNullOrWhiteSpace((string?)result["text"]), result.ToJsonString());
        }
        await using (var db = Database.Open(storage))
        {
            // The killed worker's job was taken over: it ended done on a later attempt.
            var job = await db.TrainingJobs.AsNoTracking().SingleAsync(j => j.Id == heldJob);
            Assert.Equal(JobState.Succeeded, job.State);
            Assert.True(job.Attempts >= 2, $"attempts {job.Attempts}");
        }

        // Every acknowledged upload is intact: listed by the other API process with the duration
        // of the file sent, and stored byte for byte.
        await using (var db = Database.Open(storage))
        {
            var rows = await db.DataSets.AsNoTracking().ToDictionaryAsync(d => d.Id);
            foreach (var group in uploads.GroupBy(u => u.ModelId))
            {
                var listed = (await (await clients[1].GetAsync($"{Models}/{group.Key}/data")).AssertOkAsync())["result"]!.AsArray()
                    .ToDictionary(d => (long)d!["id"]!);
                Assert.Equal(group.Count(), listed.Count);
                foreach (var upload in group)
                {
                    var item = listed[upload.DataId]!;
                    Assert.Equal(Path.GetFileName(upload.Audio), (string?)item["filename"]);
                    Assert.Equal(Path.GetFileName(upload.Transcript), (string?)item["transcript_filename"]);
                    var duration = await DurationAsync(upload.Audio);
                    Assert.InRange((double)item["duration_seconds"]!, duration - 0.011, duration + 0.011);
                    var row = rows[upload.DataId];
                    Assert.Equal(await File.ReadAllBytesAsync(upload.Audio), await File.ReadAllBytesAsync(Path.Combine(dataDir, row.AudioBlob!)));
                    Assert.Equal(await File.ReadAllBytesAsync(upload.Transcript), await File.ReadAllBytesAsync(Path.Combine(dataDir, row.TranscriptBlob)));
                }
            }
        }
    }

    /// <summary>Waits until a training job is held by one of the workers; returns that worker and the job.</summary>
    async Task<(ServiceProcess Worker, long JobId)> WorkerHoldingATrainingAsync(ServiceProcess[] workers)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        await using var db = Database.Open(storage);
        while (DateTime.UtcNow < deadline)
        {
            var held = await db.TrainingJobs.AsNoTracking().Where(j => j.State == JobState.Running && j.LeaseOwner != null)
                .Select(j => new { j.Id, j.LeaseOwner }).ToListAsync();
            foreach (var job in held)
            {
                // LeaseOwner reads machine/process id/…
                var pid = int.Parse(job.LeaseOwner!.Split('/')[1], CultureInfo.InvariantCulture);
                if (workers.FirstOrDefault(w => w.ProcessId == pid) is { } worker) return (worker, job.Id);
            }
            await Task.Delay(50);
        }
        throw new TimeoutException("no worker took a training job: " + string.Join("\n", workers.Select(w => w.Output)));
    }

    static async Task<double> DurationAsync(string path)
    {
        var start = new ProcessStartInfo("ffprobe") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path }) start.ArgumentList.Add(a);
        using var ffprobe = Process.Start(start)!;
        var output = await ffprobe.StandardOutput.ReadToEndAsync();
        await ffprobe.WaitForExitAsync();
        return double.Parse(output.Trim(), CultureInfo.InvariantCulture);
    }
}
