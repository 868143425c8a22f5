using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace CustomModels.Api.Tests.Infrastructure;

public static class Http
{
    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static StringContent Json(object body) => Json(System.Text.Json.JsonSerializer.Serialize(body));

    public static async Task<JsonObject> ReadObjectAsync(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonObject>())!;

    /// <summary>Asserts the status and that the body is the API error shape with this code; returns the body.</summary>
    public static async Task<JsonObject> AssertErrorAsync(this HttpResponseMessage response, HttpStatusCode status, string errorCode)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(errorCode, (string?)body["error_code"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)body["error"]));
        Assert.False(string.IsNullOrWhiteSpace((string?)body["message"]));
        return body;
    }

    public static async Task<JsonObject> AssertOkAsync(this HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.OK)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    public static async Task<JsonObject> CreateModelAsync(this HttpClient client, string name = "Cardiology EN", string language = "en",
        string? baseModel = null, string? description = null)
    {
        var body = new JsonObject { ["name"] = name, ["language"] = language };
        if (baseModel is not null) body["base_model"] = baseModel;
        if (description is not null) body["description"] = description;
        var response = await client.PostAsync("/api/v3/custom_models", Json(body.ToJsonString()));
        return await response.AssertOkAsync(HttpStatusCode.Created);
    }
}
