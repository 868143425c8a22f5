using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CustomModels.Api.Tests.Infrastructure;
using CustomModels.Speech.Decoding;
using CustomModels.Speech.Lexicon;

namespace CustomModels.Api.Tests.Training;

/// <summary>
/// Pronunciation files (`type=pronunciation`): checked at upload (422 with the line numbers, nothing
/// kept), listed with their entry count, and used by training ahead of generated pronunciations,
/// with the report naming where each new word's pronunciations came from.
/// </summary>
public sealed class PronunciationFileTests(SqliteService fixture) : IClassFixture<SqliteService>
{
    const string Models = "/api/v3/custom_models";
    readonly TestService service = fixture.Service;

    static MultipartFormDataContent Pronunciations(string text, string name = "say-it.tsv")
    {
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        file.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/plain");
        return new MultipartFormDataContent { { new StringContent("pronunciation"), "type" }, { file, "pronunciation_file", name } };
    }

    [Fact]
    public async Task A_file_with_bad_lines_is_422_with_their_numbers_and_nothing_is_kept()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var id = (long)(await client.CreateModelAsync())["id"]!;
        var text = "apixaban\t/AH P IH K S AH B AE N/\n" +
                   "metoprolol met oh pro lol\n" +          // no tab
                   "\n" +
                   "troponin\t/T R OW P XX N/\n" +           // unknown phone
                   "two words\t/T UW/\n" +                   // not one word
                   "amiodarone\t/am/io/\n";                 // slashes inside
        var error = await (await client.PutAsync($"{Models}/{id}/data", Pronunciations(text))).AssertErrorAsync(HttpStatusCode.UnprocessableEntity, "INVALID_PRONUNCIATIONS");

        Assert.Contains("lines 2, 4, 5, 6", (string?)error["message"]);
        var details = error["details"]!.AsObject();
        Assert.Equal(["line 2", "line 4", "line 5", "line 6"], details.Select(d => d.Key).ToArray());
        Assert.Contains("'XX'", (string?)details["line 4"]);
        var data = await (await client.GetAsync($"{Models}/{id}/data")).AssertOkAsync();
        Assert.Equal(0, (int)data["count"]!);
        var modelFolder = Path.Combine(service.Storage.DataDirectory, "models", id.ToString());
        Assert.False(Directory.Exists(modelFolder) && Directory.EnumerateFiles(modelFolder, "*", SearchOption.AllDirectories).Any());

        // A spoken form must be words the recognizer can say, and the file must have entries.
        await (await client.PutAsync($"{Models}/{id}/data", Pronunciations("apixaban\t!!! ???\n"))).AssertErrorAsync(HttpStatusCode.UnprocessableEntity, "INVALID_PRONUNCIATIONS");
        await (await client.PutAsync($"{Models}/{id}/data", Pronunciations("\n\n"))).AssertErrorAsync(HttpStatusCode.UnprocessableEntity, "INVALID_PRONUNCIATIONS");
        // The file goes in pronunciation_file, with nothing else.
        var form = Pronunciations("apixaban\ta pix a ban\n");
        form.Add(new StringContent("x"), "transcript_file", "t.txt");
        var misplaced = await (await client.PutAsync($"{Models}/{id}/data", form)).AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal("Not allowed with type=pronunciation", (string?)misplaced["details"]!["transcript_file"]);
    }

    [Fact]
    public async Task Training_says_a_word_the_files_way_and_the_report_names_the_file_as_its_source()
    {
        var audio = await TestAudio.CardiologyAsync();
        var client = (await service.CreateOrganizationAsync()).Client();
        var id = (long)(await client.CreateModelAsync())["id"]!;
        // Stress digits as CMUdict writes them are accepted; two lines give two variants.
        var upload = await (await client.PutAsync($"{Models}/{id}/data",
            Pronunciations("apixaban\t/AH0 P IH1 K S AH0 B AE2 N/\nApixaban\ta picks a band\n"))).AssertOkAsync();
        Assert.Equal("pronunciation", (string?)upload["data_type"]);
        Assert.Equal(1, (int)upload["training_status"]!); // a pronunciation file alone trains nothing
        await client.UploadCardiologyAsync(id, audio, trainCount: 8, testCount: 2);

        var listed = (await (await client.GetAsync($"{Models}/{id}/data")).AssertOkAsync())["result"]!.AsArray();
        var file = listed.Single(d => (string?)d!["type"] == "pronunciation")!;
        Assert.Equal(2, (int)file["entry_count"]!);
        Assert.Equal("say-it.tsv", (string?)file["transcript_filename"]);
        Assert.All(listed.Where(d => (string?)d!["type"] != "pronunciation"), d => Assert.False(d!.AsObject().ContainsKey("entry_count")));

        await client.RunAsync(id);
        Assert.Equal(4, (int)(await client.WaitAsync(id))["training_status"]!);
        var report = await (await client.GetAsync($"{Models}/{id}/evaluation")).AssertOkAsync();
        var newWords = report["new_words"]!.AsArray();
        var apixaban = newWords.Single(w => (string?)w!["word"] == "apixaban")!;
        Assert.Equal("pronunciation_file", (string?)apixaban["source"]);
        var dictionary = PronouncingDictionary.Load(DecoderSettings.Default.DictionaryPath);
        var spoken = string.Join(' ', "a picks a band".Split(' ').SelectMany(w => dictionary.Lookup(w)[0].Phones));
        Assert.Equal(["AH P IH K S AH B AE N", spoken], apixaban["pronunciations"]!.AsArray().Select(p => (string)p!).ToArray());
        // A word the file does not cover keeps its generated pronunciations.
        Assert.Equal("g2p", (string?)newWords.Single(w => (string?)w!["word"] == "metoprolol")!["source"]);
    }
}
