using System.Text.Json;
using System.Text.Json.Serialization;
using CustomModels.Speech.Decoding;

namespace CustomModels.Core.Transcriptions;

public sealed record ResultWord(string Word, double Start, double End, double Confidence);

public sealed record ResultSegment(double Start, double End, string Text, IReadOnlyList<ResultWord> Words);

/// <summary>
/// What GET /stt/{id}/result answers as JSON, written once by the worker beside the audio: the full
/// text as the decoder heard it, and the words with their times (seconds from the start of the
/// audio) and confidence (the decoder's posterior, 0–1), cut into segments at pauses.
/// </summary>
public sealed record TranscriptionResult(
    string Id,
    string Status,
    string Language,
    string? Model,
    /// <summary>The version of <see cref="Model"/> that decoded; null with the base model.</summary>
    int? ModelVersion,
    double DurationSeconds,
    string Text,
    IReadOnlyList<ResultSegment> Segments,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<KeytermReport>? Keyterms = null)
{
    /// <summary>A silence this long between two words starts a new segment.</summary>
    public const double PauseSeconds = 0.5;
    /// <summary>A segment is also cut at its next gap once it lasts this long, so that subtitles stay readable.</summary>
    public const double LongSegmentSeconds = 7;

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static TranscriptionResult From(TranscriptionJob job, string? modelKey, Transcript transcript) =>
        new(job.PublicId, "done", job.Language, modelKey, job.ModelVersion, Math.Round(job.DurationSeconds, 2), transcript.Text, Segment(transcript.Words),
            Transcriptions.Keyterms.Parse(job.Keyterms));

    static List<ResultSegment> Segment(IReadOnlyList<RecognizedWord> words)
    {
        var segments = new List<ResultSegment>();
        var current = new List<ResultWord>();
        foreach (var w in words)
        {
            var word = new ResultWord(w.Word, Math.Round(w.StartSeconds, 2), Math.Round(w.EndSeconds, 2), Math.Round(w.Confidence, 3));
            if (current.Count > 0)
            {
                var gap = word.Start - current[^1].End;
                var length = current[^1].End - current[0].Start;
                if (gap >= PauseSeconds || (length >= LongSegmentSeconds && gap > 0))
                {
                    segments.Add(Close(current));
                    current = [];
                }
            }
            current.Add(word);
        }
        if (current.Count > 0) segments.Add(Close(current));
        return segments;
    }

    static ResultSegment Close(List<ResultWord> words) =>
        new(words[0].Start, words[^1].End, string.Join(' ', words.Select(w => w.Word)), words);
}
