using System.Net;
using System.Text.Json.Nodes;
using CustomModels.Api.Tests.Infrastructure;
using CustomModels.Speech.Scoring;
using CustomModels.Speech.Text;
using static CustomModels.Api.Tests.Infrastructure.TranscriptionClient;

namespace CustomModels.Api.Tests.Transcription;

/// <summary>Send, follow, fetch, list and delete, on both databases (the job queue's claim differs between them).</summary>
public abstract class TranscriptionLifecycleTests(TestService service)
{
    static IReadOnlyDictionary<string, string> LibrivoxReferences() =>
        File.ReadAllLines(Path.Combine(TestAudio.Librivox, "transcription")).Where(l => l.Contains('('))
            .ToDictionary(l => l[(l.LastIndexOf('(') + 1)..l.LastIndexOf(')')],
                l => l[..l.LastIndexOf('(')].Replace("<s>", "").Replace("</s>", "").Trim());

    [Fact]
    public async Task The_librivox_recordings_transcribe_with_the_base_model_into_timed_words_and_segments()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var references = LibrivoxReferences();
        var created = new Dictionary<string, string>();
        foreach (var utterance in references.Keys)
        {
            var answer = await client.TranscribeAsync(Path.Combine(TestAudio.Librivox, utterance + ".wav"));
            Assert.StartsWith("stt_", (string?)answer["id"]);
            Assert.Equal("uploaded", (string?)answer["status"]);
            Assert.Equal("en", (string?)answer["language"]);
            Assert.True(answer.ContainsKey("model") && answer["model"] is null, answer.ToJsonString());
            Assert.InRange((double)answer["duration_seconds"]!, 1, 15);
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", (string?)answer["created_at"]);
            created[utterance] = (string)answer["id"]!;
        }

        var errors = new List<ErrorCounts>();
        foreach (var (utterance, id) in created)
        {
            var status = await client.WaitTranscriptionAsync(id);
            Assert.True((string?)status["status"] == "done", status.ToJsonString());
            Assert.False(status.ContainsKey("progress"));
            Assert.NotNull(status["finished_at"]);
            var result = await client.ResultAsync(id);
            Assert.Equal(id, (string?)result["id"]);
            var text = (string)result["text"]!;
            errors.Add(ErrorRate.Words(TranscriptNormalizer.Normalize(references[utterance]), text).Counts);

            // Words in time order, inside the audio, each in exactly one segment; the segments' words are the text's.
            var duration = (double)result["duration_seconds"]!;
            var segments = result["segments"]!.AsArray();
            Assert.NotEmpty(segments);
            var words = segments.SelectMany(s => s!["words"]!.AsArray()).ToList();
            Assert.Equal(TranscriptNormalizer.Words(text), words.Select(w => (string)w!["word"]!).ToList());
            double previousEnd = 0;
            foreach (var w in words)
            {
                var (start, end, confidence) = ((double)w!["start"]!, (double)w["end"]!, (double)w["confidence"]!);
                Assert.True(start >= previousEnd - 0.011 && end > start && end <= duration + 0.05, w.ToJsonString());
                Assert.InRange(confidence, 0, 1);
                previousEnd = end;
            }
            foreach (var segment in segments)
                Assert.Equal(string.Join(' ', segment!["words"]!.AsArray().Select(w => (string)w!["word"]!)), (string?)segment["text"]);
        }
        // pocketsphinx's en-us model on these read sentences: most words right.
        Assert.InRange(ErrorCounts.Sum(errors).Rate, 0, 0.35);

        var first = created.Values.First();
        var txt = await client.GetAsync($"{Stt}/{first}/result?format=txt");
        Assert.Equal("text/plain", txt.Content.Headers.ContentType?.MediaType);
        var json = await client.ResultAsync(first);
        Assert.Equal(string.Join(' ', json["segments"]!.AsArray().Select(s => (string)s!["text"]!)),
            string.Join(' ', (await txt.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)));

        // The list: the organization's transcriptions, oldest first, in the model list's envelope and paging.
        var list = await (await client.GetAsync($"{Stt}?per_page=2&page=2")).AssertOkAsync();
        Assert.Equal(2, (int)list["count"]!);
        Assert.Equal(5, (int)list["total_results"]!);
        Assert.Equal(created.Values.Skip(2).Take(2), list["result"]!.AsArray().Select(t => (string)t!["id"]!));
        var done = await (await client.GetAsync($"{Stt}?status=done")).AssertOkAsync();
        Assert.Equal(5, (int)done["total_results"]!);

        // Delete: the job, its audio and its result are gone.
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"{Stt}/{first}")).StatusCode);
        await (await client.GetAsync($"{Stt}/{first}/status")).AssertErrorAsync(HttpStatusCode.NotFound, "TRANSCRIPTION_NOT_FOUND");
        await (await client.DeleteAsync($"{Stt}/{first}")).AssertErrorAsync(HttpStatusCode.NotFound, "TRANSCRIPTION_NOT_FOUND");
        Assert.False(Directory.Exists(Path.Combine(service.Storage.DataDirectory, "transcriptions", first)));
        Assert.Equal(4, (int)(await (await client.GetAsync(Stt)).AssertOkAsync())["total_results"]!);

        // Another organization sees none of it.
        var other = (await service.CreateOrganizationAsync()).Client();
        var second = created.Values.Last();
        await (await other.GetAsync($"{Stt}/{second}/status")).AssertErrorAsync(HttpStatusCode.NotFound, "TRANSCRIPTION_NOT_FOUND");
        await (await other.GetAsync($"{Stt}/{second}/result")).AssertErrorAsync(HttpStatusCode.NotFound, "TRANSCRIPTION_NOT_FOUND");
        await (await other.DeleteAsync($"{Stt}/{second}")).AssertErrorAsync(HttpStatusCode.NotFound, "TRANSCRIPTION_NOT_FOUND");
        Assert.Equal(0, (int)(await (await other.GetAsync(Stt)).AssertOkAsync())["total_results"]!);

        // A delete removes the row, then the files: a result read that found the row and then not
        // its file answers as the delete will have left it, in every format, never a 500.
        foreach (var file in Directory.GetFiles(Path.Combine(service.Storage.DataDirectory, "transcriptions", second), "result-*.json"))
            File.Delete(file);
        foreach (var format in new[] { "json", "txt", "srt", "vtt" })
            await (await client.GetAsync($"{Stt}/{second}/result?format={format}")).AssertErrorAsync(HttpStatusCode.NotFound, "TRANSCRIPTION_NOT_FOUND");
    }
}

public sealed class TranscriptionLifecycleTestsOnSqlite(SqliteService fixture) : TranscriptionLifecycleTests(fixture.Service), IClassFixture<SqliteService>;

public sealed class TranscriptionLifecycleTestsOnPostgres(PostgresService fixture) : TranscriptionLifecycleTests(fixture.Service), IClassFixture<PostgresService>;
