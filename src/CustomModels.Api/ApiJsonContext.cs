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
public sealed partial class ApiJsonContext : JsonSerializerContext;
