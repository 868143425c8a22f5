using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace CustomModels.Api.Tests.Infrastructure;

/// <summary>The training calls of the API, as a client would make them.</summary>
public static class TrainingClient
{
    public static string Models => "/api/v3/custom_models";

    public static MultipartFormDataContent Pair(string type, string? audioPath, string? transcriptPath)
    {
        var form = new MultipartFormDataContent { { new StringContent(type), "type" } };
        if (audioPath is not null) form.Add(File(audioPath, "audio/wav"), "audio_file", Path.GetFileName(audioPath));
        if (transcriptPath is not null) form.Add(File(transcriptPath, "text/plain"), "transcript_file", Path.GetFileName(transcriptPath));
        return form;
    }

    static StreamContent File(string path, string mediaType)
    {
        var content = new StreamContent(System.IO.File.OpenRead(path));
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return content;
    }

    public static async Task<JsonObject> UploadPairAsync(this HttpClient client, long modelId, string type, string audioPath, string transcriptPath) =>
        await (await client.PutAsync($"{Models}/{modelId}/data", Pair(type, audioPath, transcriptPath))).AssertOkAsync();

    /// <summary>Uploads cardiology train_01..train_{trainCount} and test_01..test_{testCount}.</summary>
    public static async Task UploadCardiologyAsync(this HttpClient client, long modelId, string folder, int trainCount, int testCount)
    {
        for (var i = 1; i <= trainCount; i++)
            await client.UploadPairAsync(modelId, "train", Path.Combine(folder, $"train_{i:00}.wav"), Path.Combine(folder, $"train_{i:00}.txt"));
        for (var i = 1; i <= testCount; i++)
            await client.UploadPairAsync(modelId, "test", Path.Combine(folder, $"test_{i:00}.wav"), Path.Combine(folder, $"test_{i:00}.txt"));
    }

    public static async Task<JsonObject> RunAsync(this HttpClient client, long modelId, string body = "{}") =>
        await (await client.PostAsync($"{Models}/{modelId}/run", Http.Json(body))).AssertOkAsync();

    public static async Task<JsonObject> GetModelAsync(this HttpClient client, long modelId) =>
        await (await client.GetAsync($"{Models}/{modelId}")).AssertOkAsync();

    /// <summary>Polls until the model leaves status 3 (or the predicate on a status-3 model holds).</summary>
    public static async Task<JsonObject> WaitAsync(this HttpClient client, long modelId, Func<JsonObject, bool>? until = null, int timeoutSeconds = 600)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            var model = await client.GetModelAsync(modelId);
            if ((int)model["training_status"]! != 3 || (until?.Invoke(model) ?? false)) return model;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"model {modelId} still training: {model.ToJsonString()}");
            await Task.Delay(250);
        }
    }
}
