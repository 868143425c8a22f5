using System.Globalization;

namespace CustomModels.Core.Models;

/// <summary>
/// What the API shows of a model beyond its stored columns: one place for the rules that both the
/// single model's response (the API's ModelMapping) and the list page (<see cref="ModelPageJson"/>) follow.
/// </summary>
public static class ModelRules
{
    /// <summary>Whether the model has a trained artifact whose finish time and metrics it shows.</summary>
    public static bool HasResult(TrainingStatus status, bool hasFinishedAt) =>
        status == TrainingStatus.Success || (status == TrainingStatus.Running && hasFinishedAt);

    public static bool HasMetrics(double? wordErrorRate, double? characterErrorRate, double? trainingHours, double? baseWordErrorRate) =>
        wordErrorRate is not null || characterErrorRate is not null || trainingHours is not null || baseWordErrorRate is not null;

    /// <summary>Percentages are shown to one decimal, hours to two.</summary>
    public static double Round(double value, int digits) => Math.Round(value, digits, MidpointRounding.AwayFromZero);

    /// <summary>`2025-01-16T08:00:00Z`, as UTF-8 into 20 bytes: the sortable ("s") format, which has a fast path, plus the zone.</summary>
    public static void FormatTimestamp(DateTime utc, Span<byte> text)
    {
        utc.TryFormat(text, out _, "s", CultureInfo.InvariantCulture);
        text[19] = (byte)'Z';
    }
}
