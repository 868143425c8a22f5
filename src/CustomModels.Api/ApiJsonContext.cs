using System.Text.Json;
using System.Text.Json.Serialization;
using CustomModels.Api.Errors;
using CustomModels.Api.Hosting;
using CustomModels.Core.Models;

namespace CustomModels.Api;

/// <summary>
/// Source-generated JSON for the API's wire types: snake_case names, no reflection at run time. The
/// model's response is Core's (<see cref="ModelJsonContext"/>), which the list's stored JSON shares.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ApiErrorBody))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(Auth.KeyResponse))]
[JsonSerializable(typeof(Transcription.TranscriptionResponse))]
[JsonSerializable(typeof(Transcription.TranscriptionListResponse))]
[JsonSerializable(typeof(Versions.VersionResponse))]
[JsonSerializable(typeof(Versions.VersionListResponse))]
public sealed partial class ApiJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The API's JSON settings, the model's (<see cref="ModelJson.Context"/>). Serializing through
    /// this context's own options keeps the source generator's fast path.
    /// </summary>
    public static ApiJsonContext Api => Configured.Instance;

    // A holder class, so this is built after the generated Default (static field order across partial files is not defined).
    static class Configured
    {
        internal static readonly ApiJsonContext Instance = new(new JsonSerializerOptions(Default.Options)
        {
            Encoder = ModelJson.Context.Options.Encoder,
        });
    }
}
