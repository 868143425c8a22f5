using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CustomModels.Api.Tests.Infrastructure;
using CustomModels.Core.Data;
using CustomModels.Core.Jobs;
using CustomModels.Speech.Decoding;
using CustomModels.Speech.Lexicon;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CustomModels.Api.Tests.Training;

/// <summary>
/// Training that takes a while: cancelling it, deleting its model, watching its progress, and a
/// transcript of one enormous line. The large corpus is deterministic text whose training, left
/// alone, lasts far longer than these tests wait for the worker to stop.
/// </summary>
public sealed class TrainingScaleTests(SqliteService fixture) : IClassFixture<SqliteService>
{
    const string Models = "/api/v3/custom_models";
    readonly TestService service = fixture.Service;

    string ModelFolder(long id) => Path.Combine(service.Storage.DataDirectory, "models", id.ToString());

    /// <summary>
    /// About 10 MB of sentences of dictionary words (so the lexicon has little to pronounce) with
    /// Zipf frequencies, the same every time.
    /// </summary>
    static readonly Lazy<string> LargeCorpus = new(() =>
    {
        var path = Path.Combine(Path.GetTempPath(), "custom-models-scale-corpus-10mb-dictionary.txt");
        if (File.Exists(path) && new FileInfo(path).Length > 10_000_000) return path;
        var dictionary = PronouncingDictionary.Load(DecoderSettings.Default.DictionaryPath).Entries
            .Select(p => p.Word).Where(w => w.All(char.IsAsciiLetterLower)).Distinct().ToArray();
        var random = new Random(14);
        random.Shuffle(dictionary);
        var text = new StringBuilder();
        using var writer = new StreamWriter(path + ".tmp", false, new UTF8Encoding(false));
        long written = 0;
        while (written < 10_000_000)
        {
            text.Clear();
            var words = random.Next(4, 25);
            for (var w = 0; w < words; w++)
            {
                if (w > 0) text.Append(' ');
                text.Append(dictionary[(int)Math.Pow(dictionary.Length, random.NextDouble()) - 1]); // roughly Zipf
            }
            text.Append('\n');
            writer.Write(text);
            written += text.Length;
        }
        writer.Close();
        File.Move(path + ".tmp", path, overwrite: true);
        return path;
    });

    async Task<(HttpClient Client, long Id)> ModelWithLargeCorpusAsync(HttpClient? client = null)
    {
        client ??= (await service.CreateOrganizationAsync()).Client();
        var id = (long)(await client.CreateModelAsync())["id"]!;
        await (await client.PutAsync($"{Models}/{id}/data", TrainingClient.Pair("train", null, LargeCorpus.Value))).AssertOkAsync();
        return (client, id);
    }

    /// <summary>Polls until <paramref name="condition"/> holds; false if it did not within <paramref name="seconds"/>.</summary>
    static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, int seconds)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return true;
            await Task.Delay(100);
        }
        return await condition();
    }

    /// <summary>Whether a job's folder (work/{job id}) exists under the model's work folder.</summary>
    static bool WorkInProgress(string work) => Directory.Exists(work) && Directory.EnumerateFileSystemEntries(work).Any();

    async Task<JobState?> JobStateAsync(long modelId)
    {
        using var scope = service.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        return await db.TrainingJobs.Where(j => j.ModelId == modelId).OrderByDescending(j => j.Id).Select(j => (JobState?)j.State).FirstOrDefaultAsync();
    }

    [Fact]
    public async Task Cancel_outside_training_is_409_model_not_training_and_changes_nothing()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var id = (long)(await client.CreateModelAsync())["id"]!;
        await (await client.PostAsync($"{Models}/{id}/cancel", null)).AssertErrorAsync(HttpStatusCode.Conflict, "MODEL_NOT_TRAINING");
        Assert.Equal(1, (int)(await client.GetModelAsync(id))["training_status"]!);
        await (await client.PostAsync($"{Models}/999999999/cancel", null)).AssertErrorAsync(HttpStatusCode.NotFound, "MODEL_NOT_FOUND");

        // Another organization's training is not the caller's to cancel.
        var (owner, trainingId) = await ModelWithLargeCorpusAsync();
        await owner.RunAsync(trainingId);
        await (await client.PostAsync($"{Models}/{trainingId}/cancel", null)).AssertErrorAsync(HttpStatusCode.NotFound, "MODEL_NOT_FOUND");
        Assert.Equal(3, (int)(await owner.GetModelAsync(trainingId))["training_status"]!);
        await (await owner.PostAsync($"{Models}/{trainingId}/cancel", null)).AssertOkAsync();
    }

    [Fact]
    public async Task Cancelling_a_first_training_stops_the_worker_keeps_nothing_and_returns_the_model_to_2()
    {
        var (client, id) = await ModelWithLargeCorpusAsync();
        await client.RunAsync(id);
        // Into the language model stage, so that the cancellation has counting to interrupt.
        await client.WaitAsync(id, until: m => (int)m["training_progress"]! > 20);
        var work = Path.Combine(ModelFolder(id), "work");
        Assert.True(WorkInProgress(work), "the training is under way in its work folder");

        var cancelled = await (await client.PostAsync($"{Models}/{id}/cancel", Http.Json("{}"))).AssertOkAsync();
        Assert.Equal(2, (int)cancelled["training_status"]!);
        Assert.Equal("Training cancelled", (string?)cancelled["status_message"]);
        Assert.False(cancelled.ContainsKey("training_progress"));

        // The worker stops (its work folder goes with it) well before the training could have ended.
        Assert.True(await EventuallyAsync(() => Task.FromResult(!WorkInProgress(work)), seconds: 10), "the worker did not stop");
        Assert.False(Directory.Exists(Path.Combine(ModelFolder(id), "artifacts")));
        Assert.Equal(JobState.Failed, await JobStateAsync(id));
        var after = await client.GetModelAsync(id);
        Assert.Equal(2, (int)after["training_status"]!);
        await (await client.GetAsync($"{Models}/{id}/evaluation")).AssertErrorAsync(HttpStatusCode.Conflict, "MODEL_NOT_TRAINED");
        await (await client.PostAsync($"{Models}/{id}/cancel", null)).AssertErrorAsync(HttpStatusCode.Conflict, "MODEL_NOT_TRAINING");
    }

    [Fact]
    public async Task Cancelling_a_retrain_returns_the_model_to_4_with_its_trained_model_still_serving()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var id = (long)(await client.CreateModelAsync())["id"]!;
        var small = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + "-notes.txt");
        await File.WriteAllTextAsync(small, "start apixaban five milligrams twice daily\nrepeat the troponin in six hours\n");
        await (await client.PutAsync($"{Models}/{id}/data", TrainingClient.Pair("train", null, small))).AssertOkAsync();
        await client.RunAsync(id);
        var first = await client.WaitAsync(id);
        Assert.Equal(4, (int)first["training_status"]!);
        var firstReport = await (await client.GetAsync($"{Models}/{id}/evaluation")).AssertOkAsync();
        var artifacts = Directory.GetDirectories(Path.Combine(ModelFolder(id), "artifacts"));

        await (await client.PutAsync($"{Models}/{id}/data", TrainingClient.Pair("train", null, LargeCorpus.Value))).AssertOkAsync();
        await client.RunAsync(id);
        await client.WaitAsync(id, until: m => (int)m["training_progress"]! > 20);
        var cancelled = await (await client.PostAsync($"{Models}/{id}/cancel", null)).AssertOkAsync();
        Assert.Equal(4, (int)cancelled["training_status"]!);
        Assert.Equal("Training cancelled", (string?)cancelled["status_message"]);
        Assert.Equal(first["training_metrics"]!.ToJsonString(), cancelled["training_metrics"]!.ToJsonString());

        var work = Path.Combine(ModelFolder(id), "work");
        Assert.True(await EventuallyAsync(() => Task.FromResult(!WorkInProgress(work)), seconds: 10), "the worker did not stop");
        Assert.Equal(artifacts, Directory.GetDirectories(Path.Combine(ModelFolder(id), "artifacts")));
        var report = await (await client.GetAsync($"{Models}/{id}/evaluation")).AssertOkAsync();
        Assert.Equal((long)firstReport["job_id"]!, (long)report["job_id"]!);
        Assert.Equal(4, (int)(await client.GetModelAsync(id))["training_status"]!);
    }

    [Fact]
    public async Task Deleting_a_model_while_it_trains_frees_the_worker_for_the_next_training()
    {
        var (client, id) = await ModelWithLargeCorpusAsync();
        await client.RunAsync(id);
        await client.WaitAsync(id, until: m => (int)m["training_progress"]! > 20);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"{Models}/{id}")).StatusCode);

        // The service has one training worker: the next model's training starts only once the
        // deleted model's has stopped, which it does long before it could have finished.
        var next = (long)(await client.CreateModelAsync())["id"]!;
        var small = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + "-notes.txt");
        await File.WriteAllTextAsync(small, "start apixaban five milligrams twice daily\nrepeat the troponin in six hours\n");
        await (await client.PutAsync($"{Models}/{next}/data", TrainingClient.Pair("train", null, small))).AssertOkAsync();
        await client.RunAsync(next);
        Assert.True(await EventuallyAsync(async () => await JobStateAsync(next) != JobState.Queued, seconds: 10),
            "the worker is still busy with the deleted model");
        Assert.Equal(4, (int)(await client.WaitAsync(next))["training_status"]!);
        Assert.False(Directory.Exists(ModelFolder(id)));
    }

    [Fact]
    public async Task A_transcript_of_one_line_of_a_million_words_trains()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var id = (long)(await client.CreateModelAsync())["id"]!;
        var path = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + "-one-line.txt");
        await File.WriteAllTextAsync(path, string.Concat(Enumerable.Repeat("the patient was seen today ", 200_000)) + "\n");
        await (await client.PutAsync($"{Models}/{id}/data", TrainingClient.Pair("train", null, path))).AssertOkAsync();
        await client.RunAsync(id);

        var trained = await client.WaitAsync(id, timeoutSeconds: 300);
        Assert.Equal(4, (int)trained["training_status"]!);
        var report = await (await client.GetAsync($"{Models}/{id}/evaluation")).AssertOkAsync();
        var languageModel = report["language_model"]!.AsObject();
        Assert.Equal(1_000_000, (long)languageModel["training_words"]!);
        Assert.True((long)languageModel["training_sentences"]! > 1, "the line is cut into bounded sentences");
        File.Delete(path);
    }
}
