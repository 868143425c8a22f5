using System.Text.Json.Serialization;
using CustomModels.Api.Models;
using CustomModels.Core.Jobs;
using CustomModels.Core.Models;
using CustomModels.Core.Transcriptions;

namespace CustomModels.Api.Transcription;

/// <summary>
/// A transcription as the API shows it. `model` is always present: the `model_key` asked for, or
/// null for the language's base model; `model_version` names the version of that model that decodes. The other fields appear only when they apply (never null):
/// `progress` (percent of the audio decoded, while processing), `started_at`, `finished_at`,
/// `error` (failed), `webhook_status` (when a webhook_url was given), `keyterms` (when keyterms were sent).
/// </summary>
public sealed record TranscriptionResponse
{
    public required string Id { get; init; }
    public required string Status { get; init; }
    public required string Language { get; init; }
    public required string? Model { get; init; }
    /// <summary>The version of `model` that decodes (present with a model).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? ModelVersion { get; init; }
    public required double DurationSeconds { get; init; }
    public required string CreatedAt { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Filename { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? Progress { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? DecodedSeconds { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? StartedAt { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? FinishedAt { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Error { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? WebhookStatus { get; init; }
    /// <summary>Each keyterm sent, applied or rejected with the reason (when keyterms were sent).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<KeytermReport>? Keyterms { get; init; }
}

public sealed record TranscriptionListResponse(int Count, long TotalResults, IReadOnlyList<TranscriptionResponse> Result);

public static class TranscriptionMapping
{
    public static readonly IReadOnlyList<string> Statuses = ["uploaded", "processing", "done", "failed"];

    public static string Status(JobState state) => state switch
    {
        JobState.Queued => "uploaded",
        JobState.Running => "processing",
        JobState.Succeeded => "done",
        _ => "failed",
    };

    public static JobState? State(string status) => status switch
    {
        "uploaded" => JobState.Queued,
        "processing" => JobState.Running,
        "done" => JobState.Succeeded,
        "failed" => JobState.Failed,
        _ => null,
    };

    public static TranscriptionResponse ToResponse(this TranscriptionJob t)
    {
        var processing = t.State == JobState.Running;
        return new TranscriptionResponse
        {
            Id = t.PublicId,
            Status = Status(t.State),
            Language = t.Language,
            Model = t.ModelId is { } modelId ? ModelKeys.Format(modelId) : null,
            ModelVersion = t.ModelId is null ? null : t.ModelVersion,
            DurationSeconds = Math.Round(t.DurationSeconds, 2),
            CreatedAt = ModelMapping.Timestamp(t.CreatedAt),
            Filename = t.AudioFileName,
            Progress = processing && t.DurationSeconds > 0 ? Math.Round(Math.Min(100, 100 * t.DecodedSeconds / t.DurationSeconds), 1) : null,
            DecodedSeconds = processing ? Math.Round(t.DecodedSeconds, 2) : null,
            StartedAt = t.State is JobState.Running or JobState.Succeeded or JobState.Failed && t.StartedAt is { } s ? ModelMapping.Timestamp(s) : null,
            FinishedAt = t.State is JobState.Succeeded or JobState.Failed && t.FinishedAt is { } f ? ModelMapping.Timestamp(f) : null,
            Error = t.State == JobState.Failed ? t.LastError : null,
            WebhookStatus = t.WebhookUrl is null ? null : t.WebhookState switch
            {
                WebhookState.Delivered => "delivered",
                WebhookState.Failed => "failed",
                WebhookState.Pending => "pending",
                _ => "waiting",
            },
            Keyterms = Core.Transcriptions.Keyterms.Parse(t.Keyterms),
        };
    }
}
