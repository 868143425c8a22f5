using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using CustomModels.Core.Models;

namespace CustomModels.Api.Models;

/// <summary>
/// The model object of API.md. Fields that apply only in some states are omitted, never null;
/// `description` is always present (null when not set).
/// </summary>
public sealed record ModelResponse
{
    public required long Id { get; init; }
    public required string ModelKey { get; init; }
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

public sealed record ModelListResponse(int Count, long TotalResults, IReadOnlyList<ModelResponse> Result);

public static class ModelMapping
{
    /// <summary>`2025-01-16T08:00:00Z`: the sortable ("s") format, which has a fast path, plus the zone.</summary>
    public static string Timestamp(DateTime utc) => string.Create(20, utc, static (text, t) =>
    {
        t.TryFormat(text, out _, "s", CultureInfo.InvariantCulture);
        text[19] = 'Z';
    });

    /// <summary><see cref="Timestamp(DateTime)"/> as UTF-8, into 20 bytes.</summary>
    public static void FormatTimestamp(DateTime utc, Span<byte> text)
    {
        utc.TryFormat(text, out _, "s", CultureInfo.InvariantCulture);
        text[19] = (byte)'Z';
    }

    static string? Timestamp(DateTime? utc) => utc is { } t ? Timestamp(t) : null;

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
            StatusMessage = statusMessage ?? Catalog.StatusMessage(status, m.TrainingError),
            TrainingProgress = status is Core.Models.TrainingStatus.Running or Core.Models.TrainingStatus.Success
                ? m.TrainingProgress ?? 0 : null,
            CreatedAt = Timestamp(m.CreatedAt),
            UpdatedAt = Timestamp(m.UpdatedAt),
            StartedTrainingAt = Timestamp(m.StartedTrainingAt),
            // Kept while a retrain runs: they describe the artifact that is still serving.
            FinishedTrainingAt = hasResult ? Timestamp(m.FinishedTrainingAt) : null,
            TrainingMetrics = hasResult ? Metrics(m) : null,
            FailedAt = status == Core.Models.TrainingStatus.Failed ? Timestamp(m.FailedAt) : null,
            Error = status == Core.Models.TrainingStatus.Failed ? m.TrainingError : null,
        };
    }

    /// <summary>Whether the model has a trained artifact whose finish time and metrics it shows.</summary>
    public static bool HasResult(CustomModel m) => m.TrainingStatus == Core.Models.TrainingStatus.Success
        || (m.TrainingStatus == Core.Models.TrainingStatus.Running && m.FinishedTrainingAt is not null);

    public static bool HasMetrics(CustomModel m) =>
        m.WordErrorRate is not null || m.CharacterErrorRate is not null || m.TrainingHours is not null || m.BaseWordErrorRate is not null;

    static TrainingMetricsResponse? Metrics(CustomModel m)
    {
        if (!HasMetrics(m)) return null;
        return new TrainingMetricsResponse
        {
            WordErrorRate = Round(m.WordErrorRate, 1),
            AccuracyImprovement = Round(m.AccuracyImprovement, 1),
            CharacterErrorRate = Round(m.CharacterErrorRate, 1),
            TrainingHours = Round(m.TrainingHours, 2),
            BaseWordErrorRate = Round(m.BaseWordErrorRate, 1),
        };
    }

    static double? Round(double? value, int digits) => value is { } v ? Round(v, digits) : null;

    public static double Round(double value, int digits) => Math.Round(value, digits, MidpointRounding.AwayFromZero);
}

/// <summary>
/// The list page written straight to UTF-8 JSON: the same bytes the serializer writes for
/// <see cref="ModelListResponse"/> of <see cref="ModelMapping.ToResponse"/>'s objects (the list
/// tests compare them with GET's), without building those objects and their timestamp strings
/// for every row of the hottest endpoint. Fields in <see cref="ModelResponse"/>'s order, under the
/// same rules.
/// </summary>
public static class ModelListJson
{
    static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    static readonly JsonEncodedText Count = JsonEncodedText.Encode("count"), TotalResults = JsonEncodedText.Encode("total_results"),
        Result = JsonEncodedText.Encode("result"), Id = JsonEncodedText.Encode("id"), ModelKey = JsonEncodedText.Encode("model_key"),
        Name = JsonEncodedText.Encode("name"), Description = JsonEncodedText.Encode("description"),
        Language = JsonEncodedText.Encode("language"), BaseModel = JsonEncodedText.Encode("base_model"),
        TrainingStatus = JsonEncodedText.Encode("training_status"), StatusMessage = JsonEncodedText.Encode("status_message"),
        TrainingProgress = JsonEncodedText.Encode("training_progress"), CreatedAt = JsonEncodedText.Encode("created_at"),
        UpdatedAt = JsonEncodedText.Encode("updated_at"), StartedTrainingAt = JsonEncodedText.Encode("started_training_at"),
        FinishedTrainingAt = JsonEncodedText.Encode("finished_training_at"), FailedAt = JsonEncodedText.Encode("failed_at"),
        Error = JsonEncodedText.Encode("error"), TrainingMetrics = JsonEncodedText.Encode("training_metrics"),
        WordErrorRate = JsonEncodedText.Encode("word_error_rate"), AccuracyImprovement = JsonEncodedText.Encode("accuracy_improvement"),
        CharacterErrorRate = JsonEncodedText.Encode("character_error_rate"), TrainingHours = JsonEncodedText.Encode("training_hours"),
        BaseWordErrorRate = JsonEncodedText.Encode("base_word_error_rate");

    public static ReadOnlyMemory<byte> Write(long total, IReadOnlyList<CustomModel> page)
    {
        var buffer = new ArrayBufferWriter<byte>(1024 + 600 * page.Count); // a listed model is some 500 bytes
        using var w = new Utf8JsonWriter(buffer, Options);
        w.WriteStartObject();
        w.WriteNumber(Count, page.Count);
        w.WriteNumber(TotalResults, total);
        w.WriteStartArray(Result);
        foreach (var m in page) WriteModel(w, m);
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        return buffer.WrittenMemory;
    }

    static void WriteModel(Utf8JsonWriter w, CustomModel m)
    {
        var status = m.TrainingStatus;
        var hasResult = ModelMapping.HasResult(m);
        w.WriteStartObject();
        w.WriteNumber(Id, m.Id);
        Span<byte> text = stackalloc byte[40];
        "custom_model_"u8.CopyTo(text);
        m.Id.TryFormat(text[13..], out var digits, provider: CultureInfo.InvariantCulture);
        w.WriteString(ModelKey, text[..(13 + digits)]);
        w.WriteString(Name, m.Name);
        if (m.Description is null) w.WriteNull(Description); else w.WriteString(Description, m.Description);
        w.WriteString(Language, m.Language);
        w.WriteString(BaseModel, m.BaseModel);
        w.WriteNumber(TrainingStatus, (int)status);
        w.WriteString(StatusMessage, Catalog.StatusMessage(status, m.TrainingError));
        if (status is Core.Models.TrainingStatus.Running or Core.Models.TrainingStatus.Success)
            w.WriteNumber(TrainingProgress, m.TrainingProgress ?? 0);
        WriteTime(w, CreatedAt, m.CreatedAt);
        WriteTime(w, UpdatedAt, m.UpdatedAt);
        if (m.StartedTrainingAt is { } started) WriteTime(w, StartedTrainingAt, started);
        if (hasResult && m.FinishedTrainingAt is { } finished) WriteTime(w, FinishedTrainingAt, finished);
        var failed = status == Core.Models.TrainingStatus.Failed;
        if (failed && m.FailedAt is { } failedAt) WriteTime(w, FailedAt, failedAt);
        if (failed && m.TrainingError is { } error) w.WriteString(Error, error);
        if (hasResult && ModelMapping.HasMetrics(m))
        {
            w.WriteStartObject(TrainingMetrics);
            WriteRounded(w, WordErrorRate, m.WordErrorRate, 1);
            WriteRounded(w, AccuracyImprovement, m.AccuracyImprovement, 1);
            WriteRounded(w, CharacterErrorRate, m.CharacterErrorRate, 1);
            WriteRounded(w, TrainingHours, m.TrainingHours, 2);
            WriteRounded(w, BaseWordErrorRate, m.BaseWordErrorRate, 1);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    static void WriteTime(Utf8JsonWriter w, JsonEncodedText name, DateTime utc)
    {
        Span<byte> text = stackalloc byte[20];
        ModelMapping.FormatTimestamp(utc, text);
        w.WriteString(name, text);
    }

    static void WriteRounded(Utf8JsonWriter w, JsonEncodedText name, double? value, int digits)
    {
        if (value is { } v) w.WriteNumber(name, ModelMapping.Round(v, digits));
    }
}
