using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace CustomModels.Core.Models;

/// <summary>
/// The model object of the API (the public Scriptix docs and the README), and the one definition of
/// a model's JSON: every answer that carries a model serializes this, and so does the list, whose
/// stored texts are this serialization (<see cref="ModelJson.Listed"/>). Fields that apply only in
/// some states are omitted, never null; `description` is always present (null when not set).
/// </summary>
public sealed record ModelResponse
{
    // `id` and `model_key` are left out only of the listed JSON, which is rendered before the
    // database gives a new model its id; the list writes them in front of it (ModelPageJson.Add).
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] public required long Id { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public required string ModelKey { get; init; }
    public required string Name { get; init; }
    public required string? Description { get; init; }
    public required string Language { get; init; }
    public required string BaseModel { get; init; }
    public required int TrainingStatus { get; init; }
    public required string StatusMessage { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? TrainingProgress { get; init; }
    public required string CreatedAt { get; init; }
    public required string UpdatedAt { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? StartedTrainingAt { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? FinishedTrainingAt { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? FailedAt { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Error { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public TrainingMetricsResponse? TrainingMetrics { get; init; }
    /// <summary>The version that serves (present once a version exists); `training_metrics` are its.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? ActiveVersion { get; init; }
}

/// <summary>Percentages rounded to one decimal; hours to two. Each present only when it was measured.</summary>
public sealed record TrainingMetricsResponse
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? WordErrorRate { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? AccuracyImprovement { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? CharacterErrorRate { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? TrainingHours { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? BaseWordErrorRate { get; init; }
}

/// <summary>The list page's shape, for the OpenAPI document: the page itself is written by <see cref="Listing.ModelPageJson"/>.</summary>
public sealed record ModelListResponse(int Count, long TotalResults, IReadOnlyList<ModelResponse> Result);

/// <summary>What the API shows of a model beyond its stored columns, and how: the one mapping from a model to its response.</summary>
public static class ModelMapping
{
    public static ModelResponse ToResponse(this CustomModel m, string? statusMessage = null)
    {
        var status = m.TrainingStatus;
        var hasResult = HasResult(m);
        return new ModelResponse
        {
            Id = m.Id,
            ModelKey = m.ModelKey,
            Name = m.Name,
            Description = m.Description,
            Language = m.Language,
            BaseModel = m.BaseModel,
            TrainingStatus = (int)status,
            StatusMessage = statusMessage ?? Catalog.StatusMessage(status, m.TrainingError, m.StatusNote),
            TrainingProgress = status is Models.TrainingStatus.Running or Models.TrainingStatus.Success ? m.TrainingProgress ?? 0 : null,
            CreatedAt = Timestamp(m.CreatedAt),
            UpdatedAt = Timestamp(m.UpdatedAt),
            StartedTrainingAt = Timestamp(m.StartedTrainingAt),
            // Kept while a retrain runs: they describe the artifact that is still serving.
            FinishedTrainingAt = hasResult ? Timestamp(m.FinishedTrainingAt) : null,
            TrainingMetrics = hasResult ? Metrics(m.WordErrorRate, m.AccuracyImprovement, m.CharacterErrorRate, m.TrainingHours, m.BaseWordErrorRate) : null,
            FailedAt = status == Models.TrainingStatus.Failed ? Timestamp(m.FailedAt) : null,
            Error = status == Models.TrainingStatus.Failed ? m.TrainingError : null,
            ActiveVersion = m.ActiveVersion,
        };
    }

    /// <summary>Whether the model has a trained artifact whose finish time and metrics it shows.</summary>
    static bool HasResult(CustomModel m) =>
        m.TrainingStatus == Models.TrainingStatus.Success || (m.TrainingStatus == Models.TrainingStatus.Running && m.FinishedTrainingAt is not null);

    /// <summary>The metrics of a model or of one of its versions, rounded; null when nothing was measured.</summary>
    public static TrainingMetricsResponse? Metrics(double? wordErrorRate, double? accuracyImprovement, double? characterErrorRate,
        double? trainingHours, double? baseWordErrorRate)
    {
        if (wordErrorRate is null && characterErrorRate is null && trainingHours is null && baseWordErrorRate is null) return null;
        return new TrainingMetricsResponse
        {
            WordErrorRate = Round(wordErrorRate, 1),
            AccuracyImprovement = Round(accuracyImprovement, 1),
            CharacterErrorRate = Round(characterErrorRate, 1),
            TrainingHours = Round(trainingHours, 2),
            BaseWordErrorRate = Round(baseWordErrorRate, 1),
        };
    }

    /// <summary>Percentages are shown to one decimal, hours to two.</summary>
    public static double Round(double value, int digits) => Math.Round(value, digits, MidpointRounding.AwayFromZero);

    static double? Round(double? value, int digits) => value is { } v ? Round(v, digits) : null;

    /// <summary>`2025-01-16T08:00:00Z`, the API's one timestamp format: the sortable ("s") format, which has a fast path, and the zone.</summary>
    public static string Timestamp(DateTime utc) => string.Create(20, utc, static (text, t) =>
    {
        t.TryFormat(text, out _, "s", CultureInfo.InvariantCulture);
        text[19] = 'Z';
    });

    static string? Timestamp(DateTime? utc) => utc is { } t ? Timestamp(t) : null;
}

/// <summary>Source-generated JSON for the model's response: snake_case names, no reflection at run time.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ModelResponse))]
[JsonSerializable(typeof(ModelListResponse))]
public sealed partial class ModelJsonContext : JsonSerializerContext;

/// <summary>The model's JSON settings, which the API's answers share (see the API's JSON options), and the listed JSON.</summary>
public static class ModelJson
{
    /// <summary>
    /// Names and messages in any language read as written (HTML-safe escaping is no concern of a
    /// JSON API). Serializing through the context's own options keeps the source generator's fast path.
    /// </summary>
    public static readonly ModelJsonContext Context = new(new JsonSerializerOptions(ModelJsonContext.Default.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    static JsonTypeInfo<ModelResponse> Response => Context.ModelResponse;

    /// <summary>
    /// The model as the list shows it (<see cref="CustomModel.ListedJson"/>): its response after `id`
    /// and `model_key`, `"name":…}` (the object's closing brace included), which the list writes
    /// after those two. Changing what the response holds means a migration that clears the stored
    /// texts (SET "ListedJson" = NULL).
    /// </summary>
    public static byte[] Listed(CustomModel m)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(m.ToResponse() with { Id = 0, ModelKey = null! }, Response);
        return json[1..]; // without the opening brace: the page writes it, before the id
    }
}
