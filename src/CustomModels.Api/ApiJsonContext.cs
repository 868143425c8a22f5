using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using CustomModels.Api.Errors;
using CustomModels.Api.Hosting;
using CustomModels.Api.Models;

namespace CustomModels.Api;

/// <summary>Source-generated JSON for every wire type: snake_case names, no reflection at run time.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ApiErrorBody))]
[JsonSerializable(typeof(ModelResponse))]
[JsonSerializable(typeof(ModelListResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(Auth.KeyResponse))]
[JsonSerializable(typeof(Transcription.TranscriptionResponse))]
[JsonSerializable(typeof(Transcription.TranscriptionListResponse))]
[JsonSerializable(typeof(Versions.VersionResponse))]
[JsonSerializable(typeof(Versions.VersionListResponse))]
public sealed partial class ApiJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The one set of JSON settings of the API. Names and messages in any language read as
    /// written (HTML-safe escaping is no concern of a JSON API). Serializing through this
    /// context's own options keeps the source generator's fast path.
    /// </summary>
    public static ApiJsonContext Api => Configured.Instance;

    // A holder class, so this is built after the generated Default (static field order across partial files is not defined).
    static class Configured
    {
        internal static readonly ApiJsonContext Instance = new(new JsonSerializerOptions(Default.Options)
        {
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        });
    }
}
