using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using CustomModels.Api.Tests.Infrastructure;
using CustomModels.Core.Data;
using CustomModels.Core.Transcriptions;
using Microsoft.Extensions.DependencyInjection;
using static CustomModels.Api.Tests.Infrastructure.TranscriptionClient;

namespace CustomModels.Api.Tests.Transcription;

/// <summary>Keyterms on POST /stt: favoured for that request only, every term reported, limits refused.</summary>
public sealed class KeytermTests(SqliteService fixture) : IClassFixture<SqliteService>
{
    readonly TestService service = fixture.Service;

    static async Task<JsonObject> DoneAsync(HttpClient client, string id)
    {
        // The first request with keyterms builds the decoders for keyterms: on a busy machine, minutes.
        var status = await client.WaitTranscriptionAsync(id, timeoutSeconds: 900);
        Assert.True((string?)status["status"] == "done", status.ToJsonString());
        return status;
    }

    [Fact]
    public async Task A_missing_word_is_heard_with_keyterms_and_only_in_that_request()
    {
        var audio = await TestAudio.CardiologyAsync();
        // "we will continue metoprolol for rate control …": the base model hears "match up her allow".
        var sentence = Path.Combine(audio, "train_04.wav");
        var client = (await service.CreateOrganizationAsync()).Client();

        var created = await (await client.PostAsync(Stt, Form(sentence, keyterms: "Metoprolol\nrate control\n\nmetoprolol\n!!!")))
            .AssertOkAsync(HttpStatusCode.Created);
        var terms = created["keyterms"]!.AsArray();
        Assert.Equal(4, terms.Count);
        Assert.Equal("Metoprolol", (string?)terms[0]!["term"]);
        Assert.Equal("applied", (string?)terms[0]!["status"]);
        // Every variant the G2P model gives the word, named as a dictionary names them; the decoder adds them all.
        var pronunciations = terms[0]!["pronunciations"]!.AsObject();
        Assert.Equal(["metoprolol", "metoprolol(2)", "metoprolol(3)"], pronunciations.Select(p => p.Key));
        Assert.Equal(3, pronunciations.Select(p => (string?)p.Value).Distinct().Count());
        Assert.Equal("applied", (string?)terms[1]!["status"]);
        Assert.Null(terms[1]!["pronunciations"]); // words the dictionary has need none
        Assert.Equal("rejected", (string?)terms[2]!["status"]);
        Assert.Contains("duplicate", (string?)terms[2]!["reason"]);
        Assert.Equal("rejected", (string?)terms[3]!["status"]);
        Assert.Contains("no words", (string?)terms[3]!["reason"]);

        var id = (string)created["id"]!;
        var status = await DoneAsync(client, id);
        Assert.Equal(terms.ToJsonString(), status["keyterms"]!.ToJsonString());
        var result = await client.ResultAsync(id);
        Assert.Contains("metoprolol", (string?)result["text"]);
        Assert.Equal(terms.ToJsonString(), result["keyterms"]!.ToJsonString());

        // The same audio without keyterms, and with other terms: the word is not favoured any more.
        var plainId = (string)(await client.TranscribeAsync(sentence))["id"]!;
        await DoneAsync(client, plainId);
        var plain = await client.ResultAsync(plainId);
        Assert.DoesNotContain("metoprolol", (string?)plain["text"]);
        Assert.Null(plain["keyterms"]);
        for (var i = 0; i < 2; i++)
        {
            var other = (string)(await (await client.PostAsync(Stt, Form(sentence, keyterms: """["habeas corpus", "subpoena"]""")))
                .AssertOkAsync(HttpStatusCode.Created))["id"]!;
            await DoneAsync(client, other);
            Assert.DoesNotContain("metoprolol", (string?)(await client.ResultAsync(other))["text"]);
        }

        // The first terms again, after others (a decoder builds their search anew) and once more
        // (a decoder that has them keeps its search): heard as the first time. Their new word's
        // pronunciations are the first request's, remembered rather than made again.
        var remembered = service.Services.GetRequiredService<Keyterms>().RememberedWords;
        for (var i = 0; i < 2; i++)
        {
            var againCreated = await (await client.PostAsync(Stt, Form(sentence, keyterms: "rate control\nmetoprolol")))
                .AssertOkAsync(HttpStatusCode.Created);
            Assert.Equal(pronunciations.ToJsonString(), againCreated["keyterms"]![1]!["pronunciations"]!.ToJsonString());
            var again = (string)againCreated["id"]!;
            await DoneAsync(client, again);
            Assert.Equal((string?)result["text"], (string?)(await client.ResultAsync(again))["text"]);
        }
        var rememberedAfter = service.Services.GetRequiredService<Keyterms>().RememberedWords;
        Assert.Equal(remembered.TotalMisses, rememberedAfter.TotalMisses);
        Assert.Equal(remembered.TotalHits + 2, rememberedAfter.TotalHits);
    }

    [Fact]
    public async Task Over_the_limits_is_400_with_details_keyterms_and_nothing_is_kept()
    {
        var wav = Path.Combine(TestAudio.Librivox, "sense_and_sensibility_01_austen_64kb-0880.wav");
        var org = await service.CreateOrganizationAsync();
        var client = org.Client();
        var tooMany = string.Join('\n', Enumerable.Range(1, 101).Select(i => $"term {i}"));
        var tooManyJson = JsonSerializer.Serialize(Enumerable.Range(1, 101).Select(i => $"term {i}"));
        foreach (var (keyterms, expected) in new[]
                 {
                     (tooMany, "At most 100 terms"), (tooManyJson, "At most 100 terms"),
                     ("one two three four five six seven", "At most 6 words"),
                     ("[\"a\", 3]", "JSON array of strings"), ("[\"unclosed\"", "JSON array of strings"),
                     (new string('a', 40_000), "At most"),
                 })
        {
            var body = await (await client.PostAsync(Stt, Form(wav, keyterms: keyterms))).AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
            Assert.Contains(expected, (string?)body["details"]!["keyterms"]);
        }

        using (var scope = service.Services.CreateScope())
            Assert.False(scope.ServiceProvider.GetRequiredService<AppDbContext>().Transcriptions.Any(t => t.OrganizationId == org.Organization.Id));
        Assert.True(DataFolder.TempFiles(service.Storage.DataDirectory).Count == 0, "temporary files left behind");

        // Exactly at the limits: accepted, every term listed, and decoded with them.
        var hundred = string.Join('\n', Enumerable.Range(1, 100).Select(i => $"one two three four five term{i}"));
        var created = await (await client.PostAsync(Stt, Form(wav, keyterms: hundred))).AssertOkAsync(HttpStatusCode.Created);
        Assert.Equal(100, created["keyterms"]!.AsArray().Count(t => (string?)t!["status"] == "applied"));
        await DoneAsync(client, (string)created["id"]!);
    }
}
