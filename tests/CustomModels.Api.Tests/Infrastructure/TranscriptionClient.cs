using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace CustomModels.Api.Tests.Infrastructure;

/// <summary>The transcription calls of the API, as a client would make them.</summary>
public static class TranscriptionClient
{
    public const string Stt = "/api/v3/stt";

    public static MultipartFormDataContent Form(string? audioPath, string? language = "en", string? model = null, string? webhookUrl = null,
        string? keyterms = null, string? modelVersion = null)
    {
        var form = new MultipartFormDataContent();
        if (audioPath is not null)
        {
            var audio = new StreamContent(File.OpenRead(audioPath));
            audio.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
            form.Add(audio, "audio_file", Path.GetFileName(audioPath));
        }
        if (language is not null) form.Add(new StringContent(language), "language");
        if (model is not null) form.Add(new StringContent(model), "model");
        if (webhookUrl is not null) form.Add(new StringContent(webhookUrl), "webhook_url");
        if (keyterms is not null) form.Add(new StringContent(keyterms), "keyterms");
        if (modelVersion is not null) form.Add(new StringContent(modelVersion), "model_version");
        return form;
    }

    public static async Task<JsonObject> TranscribeAsync(this HttpClient client, string audioPath, string? language = "en",
        string? model = null, string? webhookUrl = null) =>
        await (await client.PostAsync(Stt, Form(audioPath, language, model, webhookUrl))).AssertOkAsync(HttpStatusCode.Created);

    public static async Task<JsonObject> StatusAsync(this HttpClient client, string id) =>
        await (await client.GetAsync($"{Stt}/{id}/status")).AssertOkAsync();

    /// <summary>Polls the status until done or failed (or the predicate holds on the way).</summary>
    public static async Task<JsonObject> WaitTranscriptionAsync(this HttpClient client, string id, Func<JsonObject, bool>? until = null,
        int timeoutSeconds = 240)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            var status = await client.StatusAsync(id);
            if ((string?)status["status"] is "done" or "failed" || (until?.Invoke(status) ?? false)) return status;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"transcription {id} not finished: {status.ToJsonString()}");
            await Task.Delay(200);
        }
    }

    public static async Task<JsonObject> ResultAsync(this HttpClient client, string id) =>
        await (await client.GetAsync($"{Stt}/{id}/result")).AssertOkAsync();

    /// <summary>Sends the audio, waits until done and returns the JSON result.</summary>
    public static async Task<JsonObject> TranscribeToEndAsync(this HttpClient client, string audioPath, string? model = null)
    {
        var id = (string)(await client.TranscribeAsync(audioPath, model: model))["id"]!;
        var status = await client.WaitTranscriptionAsync(id);
        Assert.True((string?)status["status"] == "done", status.ToJsonString());
        return await client.ResultAsync(id);
    }
}
