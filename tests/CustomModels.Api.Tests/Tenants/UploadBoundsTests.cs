using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CustomModels.Api.Tests.Infrastructure;
using CustomModels.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static CustomModels.Api.Tests.Infrastructure.TranscriptionClient;

namespace CustomModels.Api.Tests.Tenants;

/// <summary>
/// An upload carries only its endpoint's parts, each once, text fields whole within their limits
/// and no more bytes than its files can need; anything else is refused and leaves nothing behind.
/// </summary>
public sealed class UploadBoundsTests : IAsyncLifetime
{
    TestService service = null!;

    // Workers off: nothing here should be transcribed or delivered, only accepted or refused.
    public async Task InitializeAsync() =>
        service = await TestService.StartAsync(DatabaseKind.Sqlite, o => o with { RunWorker = false, Uploads = u => u.MaxFileBytes = 512 * 1024 });

    public async Task DisposeAsync() => await service.DisposeAsync();

    static string Wav => Path.Combine(TestAudio.Librivox, "sense_and_sensibility_01_austen_64kb-0880.wav");

    [Fact]
    public async Task A_part_the_endpoint_does_not_read_or_a_part_given_twice_is_400_and_nothing_is_kept()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var id = (long)(await client.CreateModelAsync())["id"]!;

        var cases = new (string Path, MultipartFormDataContent Form, string Detail)[]
        {
            ($"{TrainingClient.Models}/{id}/data", DataForm().With(new StringContent("hello"), "note"), "note"),
            ($"{TrainingClient.Models}/{id}/data", DataForm().With(new ByteArrayContent(new byte[5000]), "extra_file", "extra.bin"), "extra_file"),
            ($"{TrainingClient.Models}/{id}/data", DataForm().With(new ByteArrayContent("again"u8.ToArray()), "transcript_file", "again.txt"), "transcript_file"),
            ($"{TrainingClient.Models}/{id}/data", DataForm().With(new StringContent("test"), "type"), "type"),
            (Stt, Form(Wav).With(new ByteArrayContent(new byte[5000]), "audio_file2", "second.wav"), "audio_file2"),
            (Stt, Form(Wav).With(new StreamContent(File.OpenRead(Wav)), "audio_file", "again.wav"), "audio_file"),
        };
        foreach (var (path, form, detail) in cases)
        {
            var response = await client.SendAsync(new HttpRequestMessage(path == Stt ? HttpMethod.Post : HttpMethod.Put, path) { Content = form });
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{path} {detail}: {(int)response.StatusCode} {body}");
            Assert.NotNull(JsonNode.Parse(body)!["details"]![detail]);
        }
        await AssertNothingKeptAsync(client, id);
    }

    [Fact]
    public async Task A_text_field_longer_than_its_limit_is_400_never_cut_short()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var id = (long)(await client.CreateModelAsync())["id"]!;

        // 2,001 characters: one more than a webhook_url may have.
        var tooLong = "http://localhost:1/" + new string('a', 2001 - "http://localhost:1/".Length);
        var error = await (await client.PostAsync(Stt, Form(Wav, webhookUrl: tooLong))).AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal("At most 2000 characters", (string?)error["details"]!["webhook_url"]);
        var longType = DataForm(type: new string('t', 5000));
        error = await (await client.PutAsync($"{TrainingClient.Models}/{id}/data", longType)).AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal("At most 16 characters", (string?)error["details"]!["type"]);
        await AssertNothingKeptAsync(client, id);

        // Under the limit but longer than the 1 KiB that used to be kept: all of it is kept. (A name, so that it passes submission;
        // no worker runs here, so nothing is ever sent to it.)
        var longButAllowed = "http://localhost:1/" + new string('b', 1500);
        var created = await client.TranscribeAsync(Wav, webhookUrl: longButAllowed);
        using var scope = service.Services.CreateScope();
        var stored = await scope.ServiceProvider.GetRequiredService<AppDbContext>().Transcriptions
            .Where(t => t.PublicId == (string)created["id"]!).Select(t => t.WebhookUrl).SingleAsync();
        Assert.Equal(longButAllowed, stored);
    }

    [Fact]
    public async Task A_body_larger_than_the_endpoint_s_files_can_need_is_413_and_nothing_is_kept()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var id = (long)(await client.CreateModelAsync())["id"]!;
        // Two files at the 512 KiB limit and 1 MiB for the rest is what an upload can need; a 3 MiB preamble is not part of any of it.
        var body = Encoding.ASCII.GetBytes(new string('p', 3 * 1024 * 1024) +
            "\r\n--b\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\ntrain\r\n" +
            "--b\r\nContent-Disposition: form-data; name=\"transcript_file\"; filename=\"t.txt\"\r\n\r\nthe patient\r\n--b--\r\n");
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=b");
        await (await client.PutAsync($"{TrainingClient.Models}/{id}/data", content)).AssertErrorAsync(HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
        await AssertNothingKeptAsync(client, id);
    }

    static MultipartFormDataContent DataForm(string type = "train")
    {
        var form = new MultipartFormDataContent { { new StringContent(type), "type" } };
        form.Add(new ByteArrayContent("the patient is stable"u8.ToArray()), "transcript_file", "notes.txt");
        return form;
    }

    async Task AssertNothingKeptAsync(HttpClient client, long modelId)
    {
        Assert.Empty(DataFolder.TempFiles(service.Storage.DataDirectory));
        var data = await (await client.GetAsync($"{TrainingClient.Models}/{modelId}/data")).AssertOkAsync();
        Assert.Equal(0, (int)data["count"]!);
        var list = await (await client.GetAsync(Stt)).AssertOkAsync();
        Assert.Equal(0, (int)list["count"]!);
        Assert.False(Directory.Exists(Path.Combine(service.Storage.DataDirectory, "transcriptions")), "a refused transcription kept its audio");
    }
}

static class FormParts
{
    /// <summary>The form with one more part, for requests that carry a part they should not.</summary>
    public static MultipartFormDataContent With(this MultipartFormDataContent form, HttpContent part, string name, string? fileName = null)
    {
        if (fileName is null) form.Add(part, name);
        else form.Add(part, name, fileName);
        return form;
    }
}
