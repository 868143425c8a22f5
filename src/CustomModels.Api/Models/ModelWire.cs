using System.Text.Json;
using System.Text.Json.Serialization;
using CustomModels.Core.Models;

namespace CustomModels.Api.Models;

/// <summary>
/// The model object of the API (the public Scriptix docs and the README). Fields that apply only in some states are omitted, never null;
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

public sealed record ModelListResponse(int Count, long TotalResults, IReadOnlyList<ModelResponse> Result);

public static class ModelMapping
{
    /// <summary>`2025-01-16T08:00:00Z` (<see cref="ModelRules.FormatTimestamp"/>).</summary>
    public static string Timestamp(DateTime utc)
    {
        Span<byte> text = stackalloc byte[20];
        ModelRules.FormatTimestamp(utc, text);
        return System.Text.Encoding.ASCII.GetString(text);
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
            StatusMessage = statusMessage ?? Catalog.StatusMessage(status, m.TrainingError, m.StatusNote),
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
            ActiveVersion = m.ActiveVersion,
        };
    }

    static bool HasResult(CustomModel m) => ModelRules.HasResult(m.TrainingStatus, m.FinishedTrainingAt is not null);

    static TrainingMetricsResponse? Metrics(CustomModel m) =>
        Metrics(m.WordErrorRate, m.AccuracyImprovement, m.CharacterErrorRate, m.TrainingHours, m.BaseWordErrorRate);

    /// <summary>The metrics of a model or of one of its versions, rounded; null when nothing was measured.</summary>
    public static TrainingMetricsResponse? Metrics(double? wordErrorRate, double? accuracyImprovement, double? characterErrorRate,
        double? trainingHours, double? baseWordErrorRate)
    {
        if (!ModelRules.HasMetrics(wordErrorRate, characterErrorRate, trainingHours, baseWordErrorRate)) return null;
        return new TrainingMetricsResponse
        {
            WordErrorRate = Round(wordErrorRate, 1),
            AccuracyImprovement = Round(accuracyImprovement, 1),
            CharacterErrorRate = Round(characterErrorRate, 1),
            TrainingHours = Round(trainingHours, 2),
            BaseWordErrorRate = Round(baseWordErrorRate, 1),
        };
    }

    static double? Round(double? value, int digits) => value is { } v ? ModelRules.Round(v, digits) : null;
}
