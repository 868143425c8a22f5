using CustomModels.Api.Tests.Infrastructure;

namespace CustomModels.Api.Tests.Training;

/// <summary>A service killed in the middle of a training: once started again, the job completes.</summary>
public sealed class TrainingCrashTests : IDisposable
{
    readonly string dataDir = Path.Combine(Path.GetTempPath(), "custom-models-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(dataDir, true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_training_interrupted_by_a_kill_completes_after_a_restart()
    {
        var audio = await TestAudio.CardiologyAsync();
        var environment = new Dictionary<string, string> { ["CUSTOMMODELS_TRAINING_LEASE_SECONDS"] = "3" };
        var key = await ServiceProcess.CreateUnlimitedKeyAsync(dataDir);

        long id;
        using (var first = await ServiceProcess.StartAsync(dataDir, environment))
        {
            var client = new HttpClient { BaseAddress = first.BaseAddress };
            client.DefaultRequestHeaders.Authorization = new("Bearer", key);
            id = (long)(await client.CreateModelAsync())["id"]!;
            await client.UploadCardiologyAsync(id, audio, trainCount: 30, testCount: 0);
            await client.RunAsync(id);
            var mid = await client.WaitAsync(id, until: m => (int)m["training_progress"]! > 0);
            Assert.Equal(3, (int)mid["training_status"]!);
            first.Kill();
        }

        using var second = await ServiceProcess.StartAsync(dataDir, environment);
        var again = new HttpClient { BaseAddress = second.BaseAddress };
        again.DefaultRequestHeaders.Authorization = new("Bearer", key);
        var done = await again.WaitAsync(id, timeoutSeconds: 240);
        Assert.True((int)done["training_status"]! == 4, done.ToJsonString() + "\n" + second.Output);
        Assert.NotNull(done["training_metrics"]!["word_error_rate"]);
        Assert.NotNull(done["training_metrics"]!["base_word_error_rate"]);

        // With no test data, 10% of the training pairs were held out and used for evaluation.
        var report = await (await again.GetAsync($"/api/v3/custom_models/{id}/evaluation")).AssertOkAsync();
        Assert.Equal("held_out_training_pairs", (string?)report["evaluation_source"]);
        Assert.Equal(3, report["utterances"]!.AsArray().Count);
    }
}
