using System.Net;
using System.Text;
using CustomModels.Api.Tests.Infrastructure;

namespace CustomModels.Api.Tests.Training;

public sealed class TrainingDataTests(SqliteService fixture) : IClassFixture<SqliteService>, IDisposable
{
    const string Models = "/api/v3/custom_models";
    readonly TestService service = fixture.Service;

    async Task<(HttpClient Client, long Id)> NewModelAsync(string language = "en")
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        return (client, (long)(await client.CreateModelAsync(language: language))["id"]!);
    }

    string ModelFolder(long id) => Path.Combine(service.Storage.DataDirectory, "models", id.ToString());

    IEnumerable<string> FilesOf(long id) =>
        Directory.Exists(ModelFolder(id)) ? Directory.EnumerateFiles(ModelFolder(id), "*", SearchOption.AllDirectories) : [];

    IEnumerable<string> TempFiles() => DataFolder.TempFiles(service.Storage.DataDirectory);

    // The files a test uploads, removed when the test ends.
    readonly DirectoryInfo scratch = Directory.CreateTempSubdirectory("training-data-tests-");

    public void Dispose() => scratch.Delete(recursive: true);

    string ScratchPath(string name) => Path.Combine(scratch.FullName, Guid.NewGuid().ToString("N") + "-" + name);

    string TextFile(string content, string name = "corpus.txt")
    {
        var path = ScratchPath(name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public async Task Undecodable_audio_is_422_and_leaves_no_file_and_no_row()
    {
        var (client, id) = await NewModelAsync();
        var fake = TextFile("this is not audio at all", "visit_03.mp3");
        var transcript = TextFile("the patient is stable");
        var error = await (await client.PutAsync($"{Models}/{id}/data", TrainingClient.Pair("train", fake, transcript)))
            .AssertErrorAsync(HttpStatusCode.UnprocessableEntity, "UNDECODABLE_AUDIO");
        Assert.Contains("visit_03.mp3", (string?)error["message"]);
        Assert.DoesNotContain(service.Storage.DataDirectory, (string?)error["message"]);

        var data = await (await client.GetAsync($"{Models}/{id}/data")).AssertOkAsync();
        Assert.Equal(0, (int)data["total_results"]!);
        Assert.Equal(1, (int)(await client.GetModelAsync(id))["training_status"]!);
        Assert.Empty(FilesOf(id));
        Assert.Empty(TempFiles());
    }

    [Fact]
    public async Task A_transcript_that_is_not_utf8_or_has_no_words_is_422()
    {
        var (client, id) = await NewModelAsync();
        var latin1 = ScratchPath("corpus.txt");
        await File.WriteAllBytesAsync(latin1, Encoding.Latin1.GetBytes("le cœur du patient est très faible"));
        await (await client.PutAsync($"{Models}/{id}/data", TrainingClient.Pair("train", null, latin1)))
            .AssertErrorAsync(HttpStatusCode.UnprocessableEntity, "INVALID_TRANSCRIPT");
        var punctuation = TextFile(" ... !!! -- \n\n");
        await (await client.PutAsync($"{Models}/{id}/data", TrainingClient.Pair("train", null, punctuation)))
            .AssertErrorAsync(HttpStatusCode.UnprocessableEntity, "EMPTY_TRANSCRIPT");
        Assert.Empty(FilesOf(id));
        Assert.Empty(TempFiles());
    }

    [Fact]
    public async Task Missing_fields_are_400_and_another_content_type_is_415()
    {
        var (client, id) = await NewModelAsync();
        var error = await (await client.PutAsync($"{Models}/{id}/data", new MultipartFormDataContent { { new StringContent("sometimes"), "type" } }))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal("Must be train, test or pronunciation", (string?)error["details"]!["type"]);
        Assert.Equal("Required", (string?)error["details"]!["transcript_file"]);
        var testWithoutAudio = await (await client.PutAsync($"{Models}/{id}/data", TrainingClient.Pair("test", null, TextFile("one two"))))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.NotNull(testWithoutAudio["details"]!["audio_file"]);
        await (await client.PutAsync($"{Models}/{id}/data", Http.Json("{}"))).AssertErrorAsync(HttpStatusCode.UnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE");
        await (await client.PutAsync($"{Models}/424242/data", TrainingClient.Pair("train", null, TextFile("one two"))))
            .AssertErrorAsync(HttpStatusCode.NotFound, "MODEL_NOT_FOUND");
    }

    [Fact]
    public async Task The_older_text_plain_form_stores_text_under_a_name_that_is_only_a_label()
    {
        var (client, id) = await NewModelAsync();
        var request = new HttpRequestMessage(HttpMethod.Put, $"{Models}/{id}/data?data_type=1")
        {
            Content = new StringContent("Start metoprolol twenty five milligrams twice daily.\nEcho shows mitral regurgitation.", Encoding.UTF8, "text/plain"),
        };
        request.Headers.Add("x-filename", "../../etc/passwd");
        var body = await (await client.SendAsync(request)).AssertOkAsync();
        Assert.Equal("../../etc/passwd", (string?)body["transcript_filename"]);
        Assert.Equal("train", (string?)body["data_type"]);
        Assert.Equal(2, (int)body["training_status"]!);
        var files = FilesOf(id).ToList();
        Assert.Single(files);
        Assert.StartsWith(Path.Combine(ModelFolder(id), "data"), files[0]);
        Assert.DoesNotContain("passwd", files[0]);

        var list = await (await client.GetAsync($"{Models}/{id}/data")).AssertOkAsync();
        var item = list["result"]![0]!;
        Assert.Equal(11, (int)item["word_count"]!);
        Assert.Null(item["duration_seconds"]);

        var badType = new HttpRequestMessage(HttpMethod.Put, $"{Models}/{id}/data?data_type=7") { Content = new StringContent("words", Encoding.UTF8, "text/plain") };
        var error = await (await client.SendAsync(badType)).AssertErrorAsync(HttpStatusCode.BadRequest, "INVALID_QUERY");
        Assert.NotNull(error["details"]!["data_type"]);
    }

    [Fact]
    public async Task Deleting_the_last_training_data_returns_the_model_to_status_1()
    {
        var (client, id) = await NewModelAsync();
        var first = await (await client.PutAsync($"{Models}/{id}/data", TrainingClient.Pair("train", null, TextFile("the troponin is normal")))).AssertOkAsync();
        var second = await (await client.PutAsync($"{Models}/{id}/data", TrainingClient.Pair("train", null, TextFile("the ejection fraction is reduced")))).AssertOkAsync();
        Assert.Equal(2, (int)(await client.GetModelAsync(id))["training_status"]!);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"{Models}/{id}/data/{first["data_id"]}")).StatusCode);
        Assert.Equal(2, (int)(await client.GetModelAsync(id))["training_status"]!);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"{Models}/{id}/data/{second["data_id"]}")).StatusCode);
        Assert.Equal(1, (int)(await client.GetModelAsync(id))["training_status"]!);
        Assert.Empty(FilesOf(id));
        await (await client.DeleteAsync($"{Models}/{id}/data/{second["data_id"]}")).AssertErrorAsync(HttpStatusCode.NotFound, "DATA_NOT_FOUND");
    }

    [Fact]
    public async Task Another_organization_cannot_see_or_touch_the_data()
    {
        var (owner, id) = await NewModelAsync();
        var upload = await (await owner.PutAsync($"{Models}/{id}/data", TrainingClient.Pair("train", null, TextFile("atrial fibrillation")))).AssertOkAsync();
        var stranger = (await service.CreateOrganizationAsync()).Client();
        await (await stranger.GetAsync($"{Models}/{id}/data")).AssertErrorAsync(HttpStatusCode.NotFound, "MODEL_NOT_FOUND");
        await (await stranger.DeleteAsync($"{Models}/{id}/data/{upload["data_id"]}")).AssertErrorAsync(HttpStatusCode.NotFound, "MODEL_NOT_FOUND");
        await (await stranger.PutAsync($"{Models}/{id}/data", TrainingClient.Pair("train", null, TextFile("x y")))).AssertErrorAsync(HttpStatusCode.NotFound, "MODEL_NOT_FOUND");
        await (await stranger.PostAsync($"{Models}/{id}/run", Http.Json("{}"))).AssertErrorAsync(HttpStatusCode.NotFound, "MODEL_NOT_FOUND");
        await (await stranger.GetAsync($"{Models}/{id}/evaluation")).AssertErrorAsync(HttpStatusCode.NotFound, "MODEL_NOT_FOUND");
    }

    [Fact]
    public async Task Run_needs_training_data_and_a_trainable_language()
    {
        var (client, id) = await NewModelAsync();
        await (await client.PostAsync($"{Models}/{id}/run", null)).AssertErrorAsync(HttpStatusCode.Conflict, "NO_TRAINING_DATA");
        await (await client.GetAsync($"{Models}/{id}/evaluation")).AssertErrorAsync(HttpStatusCode.Conflict, "MODEL_NOT_TRAINED");

        var (dutch, nl) = await NewModelAsync(language: "nl");
        await (await dutch.PutAsync($"{Models}/{nl}/data", TrainingClient.Pair("train", null, TextFile("de patiënt is stabiel")))).AssertOkAsync();
        await (await dutch.PostAsync($"{Models}/{nl}/run", Http.Json("{}"))).AssertErrorAsync(HttpStatusCode.Conflict, "LANGUAGE_NOT_TRAINABLE");
        Assert.Equal(2, (int)(await dutch.GetModelAsync(nl))["training_status"]!);
    }
}

/// <summary>An upload over the configured size limit: its own service with a small limit.</summary>
public sealed class UploadLimitTests : IAsyncLifetime
{
    TestService service = null!;

    public async Task InitializeAsync() =>
        service = await TestService.StartAsync(DatabaseKind.Sqlite, o => o with { Uploads = u => u.MaxFileBytes = 4096 });

    public async Task DisposeAsync() => await service.DisposeAsync();

    [Fact]
    public async Task A_file_over_the_limit_is_413_and_leaves_nothing()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var id = (long)(await client.CreateModelAsync())["id"]!;
        var big = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".txt");
        await File.WriteAllTextAsync(big, string.Join('\n', Enumerable.Repeat("the left ventricle is dilated", 500)));
        try
        {
            await (await client.PutAsync($"/api/v3/custom_models/{id}/data", TrainingClient.Pair("train", null, big)))
                .AssertErrorAsync(HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
        }
        finally
        {
            File.Delete(big);
        }
        Assert.False(Directory.Exists(Path.Combine(service.Storage.DataDirectory, "models", id.ToString())));
        Assert.Empty(DataFolder.TempFiles(service.Storage.DataDirectory));
    }
}
