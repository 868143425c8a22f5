using System.Net;
using System.Text;
using CustomModels.Api.Tests.Infrastructure;
using CustomModels.Core.Data;
using CustomModels.Core.Models;
using Microsoft.Extensions.DependencyInjection;
using static CustomModels.Api.Tests.Infrastructure.TranscriptionClient;

namespace CustomModels.Api.Tests.Transcription;

/// <summary>What POST /stt refuses, and that a refused upload leaves nothing behind.</summary>
public sealed class TranscriptionRequestTests(SqliteService fixture) : IClassFixture<SqliteService>
{
    readonly TestService service = fixture.Service;
    static string Wav => Path.Combine(TestAudio.Librivox, "sense_and_sensibility_01_austen_64kb-0880.wav");

    async Task AssertNothingKeptAsync(long organizationId)
    {
        using var scope = service.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        Assert.False(db.Transcriptions.Any(t => t.OrganizationId == organizationId));
        Assert.True(DataFolder.TempFiles(service.Storage.DataDirectory).Count == 0, "temporary files left behind");
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Every_bad_field_is_listed_and_nothing_is_kept()
    {
        var org = await service.CreateOrganizationAsync();
        var client = org.Client();

        var body = await (await client.PostAsync(Stt, Form(null, language: "xx", webhookUrl: "ftp://example.com/hook")))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        var details = body["details"]!.AsObject();
        Assert.Equal("Required", (string?)details["audio_file"]);
        Assert.StartsWith("Must be one of", (string?)details["language"]);
        Assert.NotNull(details["webhook_url"]);

        body = await (await client.PostAsync(Stt, Form(Wav, language: null))).AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal("Required", (string?)body["details"]!["language"]);

        // A language of the API's list for which no recognizer is installed here.
        body = await (await client.PostAsync(Stt, Form(Wav, language: "te"))).AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Contains("No recognizer", (string?)body["details"]!["language"]);

        foreach (var model in new[] { "custom_model_999999", "model_1", "custom_model_abc" })
        {
            body = await (await client.PostAsync(Stt, Form(Wav, model: model))).AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
            Assert.Contains(model, (string?)body["details"]!["model"]);
        }

        // A model of the caller's organization that is not trained.
        var untrained = await client.CreateModelAsync();
        body = await (await client.PostAsync(Stt, Form(Wav, model: (string)untrained["model_key"]!))).AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Contains("not trained", (string?)body["details"]!["model"]);

        // Another organization's model does not exist for the caller.
        var foreign = await (await service.CreateOrganizationAsync()).Client().CreateModelAsync();
        body = await (await client.PostAsync(Stt, Form(Wav, model: (string)foreign["model_key"]!))).AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Contains("No custom model", (string?)body["details"]!["model"]);

        // Undecodable audio: 422, with the client's file name.
        var notAudio = Path.Combine(Path.GetTempPath(), $"notes-{Guid.NewGuid():N}.wav");
        await File.WriteAllTextAsync(notAudio, "these are not the samples you are looking for");
        try
        {
            body = await (await client.PostAsync(Stt, Form(notAudio))).AssertErrorAsync(HttpStatusCode.UnprocessableEntity, "UNDECODABLE_AUDIO");
            Assert.Contains(Path.GetFileName(notAudio), (string?)body["message"]);
        }
        finally
        {
            File.Delete(notAudio);
        }

        await (await client.PostAsync(Stt, new StringContent("{}", Encoding.UTF8, "application/json")))
            .AssertErrorAsync(HttpStatusCode.UnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE");
        await AssertNothingKeptAsync(org.Organization.Id);
    }

    [Fact]
    public async Task Scopes_are_checked_and_queries_validated()
    {
        var org = await service.CreateOrganizationAsync([Scopes.SttRead]);
        var reader = org.Client();
        await (await reader.PostAsync(Stt, Form(Wav))).AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_SCOPE");
        var modelsOnly = service.Client(await service.CreateKeyAsync(org.Organization.Id, [Scopes.ModelsRead, Scopes.ModelsWrite]));
        await (await modelsOnly.GetAsync(Stt)).AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_SCOPE");
        await (await service.Client(null).GetAsync(Stt)).AssertErrorAsync(HttpStatusCode.Unauthorized, "MISSING_API_KEY");

        var body = await (await reader.GetAsync($"{Stt}?per_page=101&page=0&status=finished")).AssertErrorAsync(HttpStatusCode.BadRequest, "INVALID_QUERY");
        Assert.Equal("Maximum value is 100", (string?)body["details"]!["per_page"]);
        Assert.NotNull(body["details"]!["page"]);
        Assert.NotNull(body["details"]!["status"]);
        var empty = await (await reader.GetAsync($"{Stt}?page=7")).AssertOkAsync();
        Assert.Equal("{\"count\":0,\"total_results\":0,\"result\":[]}", empty.ToJsonString());
        await (await reader.GetAsync($"{Stt}/stt_nosuchthing/result")).AssertErrorAsync(HttpStatusCode.NotFound, "TRANSCRIPTION_NOT_FOUND");
    }

    [Fact]
    public async Task A_result_is_409_until_the_job_is_done()
    {
        // A service without workers: the job stays queued.
        await using var api = await TestService.StartAsync(DatabaseKind.Sqlite, o => o with { RunWorker = false });
        var client = (await api.CreateOrganizationAsync()).Client();
        var id = (string)(await client.TranscribeAsync(Wav))["id"]!;
        Assert.Equal("uploaded", (string?)(await client.StatusAsync(id))["status"]);
        await (await client.GetAsync($"{Stt}/{id}/result")).AssertErrorAsync(HttpStatusCode.Conflict, "TRANSCRIPTION_NOT_DONE");
        await (await client.GetAsync($"{Stt}/{id}/result?format=srt")).AssertErrorAsync(HttpStatusCode.Conflict, "TRANSCRIPTION_NOT_DONE");
        var body = await (await client.GetAsync($"{Stt}/{id}/result?format=docx")).AssertErrorAsync(HttpStatusCode.BadRequest, "INVALID_QUERY");
        Assert.NotNull(body["details"]!["format"]);
        Assert.True(File.Exists(Path.Combine(api.Storage.DataDirectory, "transcriptions", id, "audio")));
    }
}
