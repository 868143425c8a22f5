using System.Net;
using CustomModels.Api.Tests.Infrastructure;
using CustomModels.Core.Data;
using CustomModels.Core.Training;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CustomModels.Api.Tests.Training;

/// <summary>What the model's state allows while it trains, after it trained, and when training fails.</summary>
public sealed class TrainingStateTests(SqliteService fixture) : IClassFixture<SqliteService>
{
    const string Models = "/api/v3/custom_models";
    readonly TestService service = fixture.Service;

    async Task<(HttpClient Client, long Id, string Audio)> ModelWithDataAsync(int train = 8, int test = 2)
    {
        var audio = await TestAudio.CardiologyAsync();
        var client = (await service.CreateOrganizationAsync()).Client();
        var id = (long)(await client.CreateModelAsync())["id"]!;
        await client.UploadCardiologyAsync(id, audio, train, test);
        return (client, id, audio);
    }

    string ModelFolder(long id) => Path.Combine(service.Storage.DataDirectory, "models", id.ToString());

    [Fact]
    public async Task While_training_uploads_runs_and_data_deletes_are_409_model_training()
    {
        var (client, id, audio) = await ModelWithDataAsync();
        var data = await (await client.GetAsync($"{Models}/{id}/data")).AssertOkAsync();
        await client.RunAsync(id);

        await (await client.PutAsync($"{Models}/{id}/data", TrainingClient.Pair("train", Path.Combine(audio, "train_20.wav"), Path.Combine(audio, "train_20.txt"))))
            .AssertErrorAsync(HttpStatusCode.Conflict, "MODEL_TRAINING");
        await (await client.PostAsync($"{Models}/{id}/run", Http.Json("{}"))).AssertErrorAsync(HttpStatusCode.Conflict, "MODEL_TRAINING");
        await (await client.DeleteAsync($"{Models}/{id}/data/{data["result"]![0]!["id"]}")).AssertErrorAsync(HttpStatusCode.Conflict, "MODEL_TRAINING");

        // Renaming is allowed in every status.
        await (await client.PatchAsync($"{Models}/{id}", Http.Json(new { name = "renamed while training" }))).AssertOkAsync();
        var done = await client.WaitAsync(id);
        Assert.Equal(4, (int)done["training_status"]!);
        Assert.Equal("renamed while training", (string?)done["name"]);
    }

    [Fact]
    public async Task Deleting_a_model_while_it_trains_stops_the_job_and_removes_every_file()
    {
        var (client, id, _) = await ModelWithDataAsync(train: 20, test: 5);
        await client.RunAsync(id);
        var during = await client.WaitAsync(id, until: m => (int)m["training_progress"]! > 0);
        // The race this test is about: the training must still be under way when the delete comes
        // (decoding 25 files is still ahead of it).
        Assert.Equal(3, (int)during["training_status"]!);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"{Models}/{id}")).StatusCode);

        // The service has one training worker: once the next model has trained, the deleted model's
        // attempt has ended, and nothing of the deleted model came back meanwhile.
        var next = (long)(await client.CreateModelAsync())["id"]!;
        var notes = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + "-notes.txt");
        await File.WriteAllTextAsync(notes, "start apixaban five milligrams twice daily\n");
        await (await client.PutAsync($"{Models}/{next}/data", TrainingClient.Pair("train", null, notes))).AssertOkAsync();
        await client.RunAsync(next);
        Assert.Equal(4, (int)(await client.WaitAsync(next))["training_status"]!);
        Assert.False(Directory.Exists(ModelFolder(id)), "the model's folder must be gone");
        using var scope = service.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        Assert.False(await db.TrainingJobs.AnyAsync(j => j.ModelId == id));
        Assert.False(await db.DataSets.AnyAsync(d => d.ModelId == id));
        await (await client.GetAsync($"{Models}/{id}")).AssertErrorAsync(HttpStatusCode.NotFound, "MODEL_NOT_FOUND");
    }

    [Fact]
    public async Task A_retrain_keeps_the_previous_model_serving_until_the_new_one_is_published()
    {
        var (client, id, audio) = await ModelWithDataAsync();
        await client.RunAsync(id);
        var first = await client.WaitAsync(id);
        Assert.Equal(4, (int)first["training_status"]!);
        var firstReport = await (await client.GetAsync($"{Models}/{id}/evaluation")).AssertOkAsync();
        // Eight training pairs are too few for a development split: the report says so, and the defaults serve.
        var tuning = firstReport["tuning"]!.AsObject();
        Assert.Equal(0, (int)tuning["development_pairs"]!);
        Assert.Empty(tuning["candidates"]!.AsArray());
        Assert.False(tuning.ContainsKey("chosen"));
        Assert.Equal("8 training pairs outside the evaluation set; a development split needs at least 10, so the decoder's default settings are used",
            (string?)tuning["note"]);

        // New data waits for the next run; the status stays 4.
        var upload = await client.UploadPairAsync(id, "train", Path.Combine(audio, "train_30.wav"), Path.Combine(audio, "train_30.txt"));
        Assert.Equal(4, (int)upload["training_status"]!);

        // Activated whatever it measures (the promotion gate has tests of its own), so that it replaces the first.
        var retrain = await client.RunAsync(id, """{"activate":"always"}""");
        Assert.Equal(3, (int)retrain["training_status"]!);
        Assert.Equal(first["training_metrics"]!.ToJsonString(), retrain["training_metrics"]!.ToJsonString());
        Assert.Equal((string?)first["finished_training_at"], (string?)retrain["finished_training_at"]);
        var during = await (await client.GetAsync($"{Models}/{id}/evaluation")).AssertOkAsync();
        Assert.Equal((long)firstReport["job_id"]!, (long)during["job_id"]!);

        var second = await client.WaitAsync(id);
        Assert.Equal(4, (int)second["training_status"]!);
        var secondReport = await (await client.GetAsync($"{Models}/{id}/evaluation")).AssertOkAsync();
        Assert.NotEqual((long)firstReport["job_id"]!, (long)secondReport["job_id"]!);
        Assert.Equal(2, (int)second["active_version"]!);
        // Every version keeps its artifact, so that it can be activated again.
        Assert.Equal(2, Directory.GetDirectories(Path.Combine(ModelFolder(id), "artifacts")).Length);
    }

    [Fact]
    public async Task A_training_that_cannot_succeed_ends_in_status_5_with_a_reason_and_can_be_retried()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var id = (long)(await client.CreateModelAsync())["id"]!;
        var corpus = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + "-notes.txt");
        await File.WriteAllTextAsync(corpus, "start apixaban five milligrams twice daily\nrepeat the troponin in six hours\n");
        var broken = await (await client.PutAsync($"{Models}/{id}/data", TrainingClient.Pair("train", null, corpus))).AssertOkAsync();
        await (await client.PutAsync($"{Models}/{id}/data", TrainingClient.Pair("train", null, corpus))).AssertOkAsync();

        // Storage lost the first transcript (a disk replaced, a file removed by hand).
        using (var scope = service.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var blob = await db.DataSets.Where(d => d.Id == (long)broken["data_id"]!).Select(d => d.TranscriptBlob).SingleAsync();
            File.Delete(Path.Combine(service.Storage.DataDirectory, blob));
        }
        await client.RunAsync(id);
        var failed = await client.WaitAsync(id);
        Assert.Equal(5, (int)failed["training_status"]!);
        var reason = (string?)failed["error"];
        Assert.Contains("notes.txt", reason);
        Assert.Equal("Training failed: " + reason, (string?)failed["status_message"]);
        Assert.NotNull(failed["failed_at"]);
        Assert.False(failed.ContainsKey("training_progress"));
        Assert.DoesNotContain(service.Storage.DataDirectory, reason);

        // Remove the broken data set and retry from status 5: text alone trains, but with no audio
        // to evaluate on there are no error rates to report.
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"{Models}/{id}/data/{broken["data_id"]}")).StatusCode);
        await client.RunAsync(id);
        var trained = await client.WaitAsync(id);
        Assert.Equal(4, (int)trained["training_status"]!);
        Assert.False(trained.ContainsKey("error"));
        var metrics = trained["training_metrics"]!.AsObject();
        Assert.False(metrics.ContainsKey("word_error_rate"));
        Assert.Equal(0, (double)metrics["training_hours"]!);
        var report = await (await client.GetAsync($"{Models}/{id}/evaluation")).AssertOkAsync();
        Assert.Equal("none", (string?)report["evaluation_source"]);
        Assert.Contains(report["new_words"]!.AsArray(), w => (string?)w!["word"] == "apixaban");
    }
}
