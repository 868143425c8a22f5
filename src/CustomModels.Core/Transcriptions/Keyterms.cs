using System.Text.Json;
using System.Text.Json.Serialization;
using CustomModels.Core.Training;
using CustomModels.Speech.Decoding;
using CustomModels.Speech.Keyterms;
using CustomModels.Speech.Lexicon;
using CustomModels.Speech.Text;

namespace CustomModels.Core.Transcriptions;

/// <summary>
/// One keyterm of a transcription as its status and result show it (and as the row stores it):
/// `applied` or `rejected` with the reason; an applied term's words that the recognizer lacked,
/// with the pronunciations (in the acoustic model's phones) given to them for this request, named
/// as a pronouncing dictionary names them: "word", then "word(2)", "word(3)" for further variants.
/// </summary>
public sealed record KeytermReport(
    string Term,
    string Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string>? Pronunciations)
{
    public const string Applied = "applied";
    public const string Rejected = "rejected";
}

/// <summary>
/// A request's keyterms, from the text sent to the reports stored with the job (checked when the
/// audio is sent: what the response lists is what the worker applies) and back to the bias the
/// decoder applies. The pronunciations come from the pronouncers the training's lexicon stage uses
/// (the trained G2P model's up to three variants, espeak-ng for what it cannot spell); an applied
/// term lists every pronunciation of its new words, all of which its decoder adds.
/// </summary>
public sealed class Keyterms(Pronouncers pronouncers)
{
    static readonly JsonSerializerOptions Json = TranscriptionResult.Json;

    /// <summary>Which terms apply, which are rejected and why; the terms must have passed <see cref="KeytermList.TryParse"/>.</summary>
    public async Task<IReadOnlyList<KeytermReport>> CheckAsync(DecoderSettings settings, IReadOnlyList<string> terms, CancellationToken ct)
    {
        var dictionary = PronouncingDictionary.LoadShared(settings.DictionaryPath);
        var outcomes = await KeytermList.CheckAsync(terms, dictionary, await pronouncers.ForAsync(settings, dictionary, ct), ct);
        return outcomes.Select(o => new KeytermReport(o.Term, o.Applied ? KeytermReport.Applied : KeytermReport.Rejected, o.RejectedBecause,
            o.NewWords.Count > 0 ? Named(o.NewWords) : null)).ToList();
    }

    /// <summary>"word", "word(2)", …: a word's variants in order, as a dictionary file names them.</summary>
    static Dictionary<string, string> Named(IReadOnlyList<Pronunciation> pronunciations)
    {
        var named = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var variants in pronunciations.GroupBy(p => p.Word, StringComparer.Ordinal))
        {
            var number = 0;
            foreach (var p in variants)
                named[++number == 1 ? p.Word : $"{p.Word}({number})"] = string.Join(' ', p.Phones);
        }
        return named;
    }

    public static string Serialize(IReadOnlyList<KeytermReport> reports) => JsonSerializer.Serialize(reports, Json);

    public static IReadOnlyList<KeytermReport>? Parse(string? stored) =>
        stored is null ? null : JsonSerializer.Deserialize<List<KeytermReport>>(stored, Json);

    /// <summary>The term model of the applied terms, written to <paramref name="termArpaPath"/>; null when none applies.</summary>
    public static KeytermBias? WriteBias(IReadOnlyList<KeytermReport> reports, string termArpaPath) =>
        KeytermBias.Write(reports.Select(r => new KeytermOutcome(r.Term, TranscriptNormalizer.Words(r.Term),
            r.Status == KeytermReport.Applied ? null : r.Reason ?? KeytermReport.Rejected,
            (r.Pronunciations ?? new Dictionary<string, string>())
                .Select(p => new Pronunciation(PronouncingDictionary.WithoutAlternateNumber(p.Key), p.Value.Split(' '))).ToList())),
            termArpaPath);
}
