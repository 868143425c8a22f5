using System.Text.Json;
using System.Text.Json.Serialization;
using CustomModels.Core.Training;
using CustomModels.Speech.Decoding;
using CustomModels.Speech.Keyterms;
using CustomModels.Speech.Lexicon;
using CustomModels.Speech.Text;
using Microsoft.Extensions.Caching.Memory;

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
public sealed class Keyterms(Pronouncers pronouncers) : IDisposable
{
    static readonly JsonSerializerOptions Json = TranscriptionResult.Json;

    /// <summary>
    /// How many words' pronunciations are remembered (a word's answer from one pronouncer, or that it
    /// had none, counts one): the words of a few hundred different term lists.
    /// </summary>
    public const int RememberedWordLimit = 20_000;

    // A client tends to send the same terms with every request: their new words are pronounced once
    // (the G2P model takes about 3 ms a word: 0.2 s for the 69 new words of 100 medical terms), then
    // answered from here. Words asked least recently go first when the limit is reached.
    readonly MemoryCache remembered = new(new MemoryCacheOptions { SizeLimit = RememberedWordLimit, CompactionPercentage = 0.25, TrackStatistics = true });

    /// <summary>Which terms apply, which are rejected and why; the terms must have passed <see cref="KeytermList.TryParse"/>.</summary>
    public async Task<IReadOnlyList<KeytermReport>> CheckAsync(DecoderSettings settings, IReadOnlyList<string> terms, CancellationToken ct)
    {
        var dictionary = PronouncingDictionary.LoadShared(settings.DictionaryPath);
        var remembering = (await pronouncers.ForAsync(settings, dictionary, ct))
            .Select(IPronouncer (p) => new RememberingPronouncer(p, remembered, $"{settings.DictionaryPath}\n{settings.AcousticModelPath}\n{p.Source}"))
            .ToList();
        var outcomes = await KeytermList.CheckAsync(terms, dictionary, remembering, ct);
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

    /// <summary>How many words' pronunciations are remembered, and how often a word was answered from memory (hits) or asked (misses).</summary>
    public MemoryCacheStatistics RememberedWords => remembered.GetCurrentStatistics()!;

    public void Dispose() => remembered.Dispose();

    /// <summary>
    /// A pronouncer's answers remembered word by word, under <paramref name="scope"/> (the recognizer's
    /// dictionary and acoustic model, and which pronouncer): a word remembered is not asked again.
    /// </summary>
    sealed class RememberingPronouncer(IPronouncer pronouncer, MemoryCache remembered, string scope) : IPronouncer
    {
        public string Source => pronouncer.Source;

        public async Task<IReadOnlyDictionary<string, IReadOnlyList<Pronunciation>>> PronounceAsync(IReadOnlyCollection<string> words,
            CancellationToken cancellationToken = default)
        {
            var result = new Dictionary<string, IReadOnlyList<Pronunciation>>(StringComparer.OrdinalIgnoreCase);
            var asked = new List<string>();
            foreach (var word in words.Distinct(StringComparer.Ordinal))
            {
                if (!remembered.TryGetValue((scope, word), out IReadOnlyList<Pronunciation>? variants)) asked.Add(word);
                else if (variants!.Count > 0) result[word] = variants;
            }
            if (asked.Count == 0) return result;
            var answers = await pronouncer.PronounceAsync(asked, cancellationToken);
            foreach (var word in asked)
            {
                var variants = answers.GetValueOrDefault(word) ?? [];
                remembered.Set((scope, word), variants, new MemoryCacheEntryOptions { Size = 1 });
                if (variants.Count > 0) result[word] = variants;
            }
            return result;
        }
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
