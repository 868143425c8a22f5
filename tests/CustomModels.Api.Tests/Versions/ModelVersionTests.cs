using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using CustomModels.Api.Tests.Infrastructure;

namespace CustomModels.Api.Tests.Versions;

/// <summary>
/// Versions on real trainings: a retrain that measures worse than the active version on the same
/// audio is kept but not activated, with both figures in the status message; transcriptions keep
/// using the active version; activation rolls back and forward; the active version cannot be
/// deleted; `{"activate":"always"}` skips the gate. And the error analysis of the evaluation report.
/// </summary>
public abstract class ModelVersionTests(TestService service)
{
    const string Models = "/api/v3/custom_models";

    /// <summary>Text of another domain: a language model of it knows none of the cardiology words.</summary>
    static readonly string[] UnrelatedText =
    [
        "the train to the coast leaves from platform four every morning",
        "we planted tomatoes and beans in the garden behind the house",
        "the football match was delayed because of heavy rain",
        "she bought a new bicycle and rode it to the market",
        "the children built a sand castle on the beach",
        "our neighbours painted their fence a bright shade of blue",
        "the library closes early on saturdays during the summer",
        "he cooked pasta with garlic and olive oil for dinner",
    ];

    [Fact]
    public async Task A_worse_retrain_stays_inactive_and_versions_roll_back_and_forward()
    {
        var audio = await TestAudio.CardiologyAsync();
        var client = (await service.CreateOrganizationAsync()).Client();
        var id = (long)(await client.CreateModelAsync())["id"]!;
        var key = $"custom_model_{id}";
        await client.UploadCardiologyAsync(id, audio, trainCount: 30, testCount: 5);

        await client.RunAsync(id);
        var first = await client.WaitAsync(id, timeoutSeconds: 900);
        Assert.True((int)first["training_status"]! == 4, first.ToJsonString());
        Assert.Equal(1, (int)first["active_version"]!);
        var firstWer = (double)first["training_metrics"]!["word_error_rate"]!;

        // Version 2 learns from unrelated text only: every training pair goes, another domain's text comes.
        var data = await (await client.GetAsync($"{Models}/{id}/data")).AssertOkAsync();
        foreach (var set in data["result"]!.AsArray().Where(d => (string?)d!["type"] == "train"))
            Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"{Models}/{id}/data/{set!["id"]}")).StatusCode);
        var corpus = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + "-everyday.txt");
        await File.WriteAllLinesAsync(corpus, Enumerable.Range(0, 6).SelectMany(_ => UnrelatedText));
        await (await client.PutAsync($"{Models}/{id}/data", TrainingClient.Pair("train", null, corpus))).AssertOkAsync();

        await (await client.PostAsync($"{Models}/{id}/run", Http.Json("""{"activate":"sometimes"}""")))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await client.RunAsync(id);
        var second = await client.WaitAsync(id, timeoutSeconds: 900);
        Assert.Equal(4, (int)second["training_status"]!);
        Assert.Equal(1, (int)second["active_version"]!);
        Assert.Equal(first["training_metrics"]!.ToJsonString(), second["training_metrics"]!.ToJsonString());

        var versions = await (await client.GetAsync($"{Models}/{id}/versions")).AssertOkAsync();
        Assert.Equal(2, (int)versions["count"]!);
        Assert.Equal(2, (long)versions["total_results"]!);
        var (v2, v1) = (versions["result"]![0]!, versions["result"]![1]!);
        Assert.Equal((2, false, 1, true), ((int)v2["version"]!, (bool)v2["active"]!, (int)v1["version"]!, (bool)v1["active"]!));
        Assert.Equal("test_data", (string?)v2["evaluation_source"]);
        Assert.Equal(35, v1["data_ids"]!.AsArray().Count);
        Assert.Equal(6, v2["data_ids"]!.AsArray().Count); // the five test pairs and the corpus
        var secondWer = (double)v2["training_metrics"]!["word_error_rate"]!;
        Assert.True(secondWer > firstWer, $"version 2 should be worse: {secondWer} against {firstWer}");
        Assert.Equal(string.Create(CultureInfo.InvariantCulture,
                $"Version 2 was not activated: {secondWer:0.0}% word error rate against version 1's {firstWer:0.0}% on the same audio"),
            (string?)second["status_message"]);
        Assert.Equal(v2.ToJsonString(), (await (await client.GetAsync($"{Models}/{id}/versions/2")).AssertOkAsync()).ToJsonString());
        var listed = await (await client.GetAsync($"{Models}?per_page=100")).AssertOkAsync();
        Assert.Equal(second.ToJsonString(), listed["result"]!.AsArray().Single(m => (long)m!["id"]! == id)!.ToJsonString());

        // Version 2's evaluation compares it with version 1, decoded on the same audio in the same training.
        var report = await (await client.GetAsync($"{Models}/{id}/versions/2/evaluation")).AssertOkAsync();
        Assert.Equal(1, (int)report["compared_version"]!);
        var newVsActive = report["comparisons"]!.AsArray().Single(c => (string?)c!["name"] == "new_vs_active")!;
        Assert.Equal(firstWer, Math.Round((double)newVsActive["baseline_word_error_rate"]!, 1));
        Assert.True((double)newVsActive["difference"]! > 0);
        Assert.All(report["utterances"]!.AsArray(), u => Assert.NotNull(u!["active_hypothesis"]));

        // Transcriptions use the active version unless they name one; the version is resolved when the audio is sent.
        var test = Path.Combine(audio, "test_01.wav");
        var onActive = await client.TranscribeAsync(test, model: key);
        Assert.Equal(1, (int)onActive["model_version"]!);
        var onSecond = await (await client.PostAsync(TranscriptionClient.Stt, TranscriptionClient.Form(test, model: key, modelVersion: "2")))
            .AssertOkAsync(HttpStatusCode.Created);
        Assert.Equal(2, (int)onSecond["model_version"]!);
        var unknown = await (await client.PostAsync(TranscriptionClient.Stt, TranscriptionClient.Form(test, model: key, modelVersion: "9")))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Contains("no version 9", (string?)unknown["details"]!["model_version"]);
        await (await client.PostAsync(TranscriptionClient.Stt, TranscriptionClient.Form(test, modelVersion: "1")))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");

        // Roll forward to version 2: the next transcription uses it; the one already sent keeps version 1.
        var forward = await (await client.PostAsync($"{Models}/{id}/versions/2/activate", null)).AssertOkAsync();
        Assert.Equal(2, (int)forward["active_version"]!);
        Assert.Equal(secondWer, (double)forward["training_metrics"]!["word_error_rate"]!);
        Assert.Equal("Training completed successfully", (string?)forward["status_message"]);
        var afterForward = await client.TranscribeAsync(test, model: key);
        Assert.Equal(2, (int)afterForward["model_version"]!);
        foreach (var (job, version) in new[] { (onActive, 1), (onSecond, 2), (afterForward, 2) })
        {
            var done = await client.WaitTranscriptionAsync((string)job["id"]!);
            Assert.True((string?)done["status"] == "done", done.ToJsonString());
            Assert.Equal(version, (int)done["model_version"]!);
            Assert.Equal(version, (int)(await client.ResultAsync((string)job["id"]!))["model_version"]!);
        }

        await (await client.DeleteAsync($"{Models}/{id}/versions/2")).AssertErrorAsync(HttpStatusCode.Conflict, "VERSION_ACTIVE");
        await (await client.PostAsync($"{Models}/{id}/versions/7/activate", null)).AssertErrorAsync(HttpStatusCode.NotFound, "VERSION_NOT_FOUND");

        // Roll back to version 1, then delete version 2 with its artifact.
        var back = await (await client.PostAsync($"{Models}/{id}/versions/1/activate", null)).AssertOkAsync();
        Assert.Equal(1, (int)back["active_version"]!);
        Assert.Equal(first["training_metrics"]!.ToJsonString(), back["training_metrics"]!.ToJsonString());
        var artifacts = Path.Combine(service.Storage.DataDirectory, "models", id.ToString(), "artifacts");
        Assert.Equal(2, Directory.GetDirectories(artifacts).Length);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"{Models}/{id}/versions/2")).StatusCode);
        Assert.Single(Directory.GetDirectories(artifacts));
        await (await client.GetAsync($"{Models}/{id}/versions/2")).AssertErrorAsync(HttpStatusCode.NotFound, "VERSION_NOT_FOUND");
        await (await client.GetAsync($"{Models}/{id}/versions/2/evaluation")).AssertErrorAsync(HttpStatusCode.NotFound, "VERSION_NOT_FOUND");

        // "always" skips the gate: version 3 (2 is never reused) serves although it is as bad as version 2 was.
        await client.RunAsync(id, """{"activate":"always"}""");
        var third = await client.WaitAsync(id, timeoutSeconds: 900);
        Assert.Equal(3, (int)third["active_version"]!);
        Assert.Equal("Training completed successfully", (string?)third["status_message"]);
        Assert.True((double)third["training_metrics"]!["word_error_rate"]! > firstWer);
        var after = await (await client.GetAsync($"{Models}/{id}/versions")).AssertOkAsync();
        Assert.Equal([3, 1], after["result"]!.AsArray().Select(v => (int)v!["version"]!));
    }

    [Fact]
    public async Task The_evaluation_report_analyses_errors_per_word_and_downloads_as_csv()
    {
        var audio = await TestAudio.CardiologyAsync();
        var client = (await service.CreateOrganizationAsync()).Client();
        var id = (long)(await client.CreateModelAsync())["id"]!;
        await client.UploadCardiologyAsync(id, audio, trainCount: 20, testCount: 6);
        await client.RunAsync(id);
        Assert.Equal(4, (int)(await client.WaitAsync(id, timeoutSeconds: 900))["training_status"]!);

        var report = await (await client.GetAsync($"{Models}/{id}/evaluation")).AssertOkAsync();
        var utterances = report["utterances"]!.AsArray();
        int Corpus(string field) => utterances.Sum(u => (int)u!["custom_errors"]![field]!);
        var words = report["words"]!.AsArray();
        int Column(string field) => words.Sum(w => (int)w![field]!);
        Assert.Equal(Corpus("reference_words"), Column("occurrences"));
        Assert.Equal(Corpus("substitutions"), Column("substituted"));
        Assert.Equal(Corpus("deletions"), Column("deleted"));
        Assert.Equal(Corpus("insertions"), Column("insertions"));
        Assert.True(Corpus("substitutions") + Corpus("deletions") + Corpus("insertions") > 0, "the set should have errors to analyse");
        Assert.All(words, w => Assert.Equal((int)w!["occurrences"]!, (int)w["correct"]! + (int)w["deleted"]! + (int)w["substituted"]!));
        Assert.All(words, w => Assert.True(w!["substituted_as"]!.AsArray().Count <= 3));

        var confusions = report["confusions"]!.AsArray();
        Assert.InRange(confusions.Count, 1, 50);
        Assert.Equal(confusions.Select(c => (int)c!["count"]!).OrderDescending(), confusions.Select(c => (int)c!["count"]!));

        var newWords = report["new_words"]!.AsArray();
        var apixaban = newWords.Single(w => (string?)w!["word"] == "apixaban")!;
        Assert.NotEmpty(apixaban["pronunciations"]!.AsArray());
        var said = utterances.Sum(u => ((string)u!["reference"]!).Split(' ').Count(w => w == "apixaban"));
        Assert.Equal(said, (int)apixaban["occurrences"]!);
        Assert.InRange((int)apixaban["recognized_by_custom"]!, 0, said);
        Assert.Equal(0, (int)apixaban["recognized_by_base"]!); // the base dictionary lacks it: the base model cannot say it

        var customVsBase = report["comparisons"]!.AsArray().Single(c => (string?)c!["name"] == "custom_vs_base")!;
        Assert.InRange((double)customVsBase["difference"]!, (double)customVsBase["lower"]!, (double)customVsBase["upper"]!);
        Assert.True((int)customVsBase["resamples"]! >= 1000);
        Assert.Equal(Math.Round((double)report["metrics"]!["word_error_rate"]! - (double)report["metrics"]!["base_word_error_rate"]!, 3),
            Math.Round((double)customVsBase["difference"]!, 3));

        // The tables as CSV: one row per utterance and per word, with the same counts.
        var utteranceCsv = await client.GetAsync($"{Models}/{id}/evaluation?format=csv");
        Assert.Equal(HttpStatusCode.OK, utteranceCsv.StatusCode);
        Assert.Equal("text/csv", utteranceCsv.Content.Headers.ContentType!.MediaType);
        var lines = (await utteranceCsv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("data_id,audio_file,reference,base_hypothesis,custom_hypothesis,reference_words", lines[0]);
        Assert.Equal(utterances.Count + 1, lines.Length);
        var wordCsv = (await (await client.GetAsync($"{Models}/{id}/evaluation/words?format=csv")).Content.ReadAsStringAsync())
            .Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("word,occurrences,correct,deleted,substituted,substituted_as,insertions", wordCsv[0]);
        Assert.Equal(words.Count + 1, wordCsv.Length);
        Assert.Equal(Column("substituted"), wordCsv.Skip(1).Sum(l => int.Parse(l.Split(',')[4], CultureInfo.InvariantCulture)));
        var versionWords = await (await client.GetAsync($"{Models}/{id}/versions/1/evaluation/words")).Content.ReadAsStringAsync();
        Assert.Equal(words.ToJsonString(), JsonNode.Parse(versionWords)!.ToJsonString());
        await (await client.GetAsync($"{Models}/{id}/evaluation?format=xml")).AssertErrorAsync(HttpStatusCode.BadRequest, "INVALID_QUERY");
    }
}

public sealed class ModelVersionTestsOnSqlite(SqliteService fixture) : ModelVersionTests(fixture.Service), IClassFixture<SqliteService>;

public sealed class ModelVersionTestsOnPostgres(PostgresService fixture) : ModelVersionTests(fixture.Service), IClassFixture<PostgresService>;
