using System.Text.Json;
using CustomModels.Speech.Lexicon;
using CustomModels.Speech.Text;

namespace CustomModels.Speech.Keyterms;

/// <summary>
/// What became of one keyterm: applied (its words are favoured; <see cref="NewWords"/> are the ones
/// the recognizer lacked, with every pronunciation given to them, a word's most likely first) or
/// rejected with the reason.
/// </summary>
public sealed record KeytermOutcome(string Term, IReadOnlyList<string> Words, string? RejectedBecause,
    IReadOnlyList<Pronunciation> NewWords)
{
    public bool Applied => RejectedBecause is null;
}

/// <summary>
/// The rules of a request's keyterms: how they are written (one a line, or a JSON array of
/// strings), the limits, and which are applied. Terms are normalized like transcripts; every term
/// gets an outcome, none is dropped silently.
/// </summary>
public static class KeytermList
{
    public const int MaxTerms = 100;
    public const int MaxWordsPerTerm = 6;
    /// <summary>A longer "word" is no word anyone says; espeak-ng would spell it out letter by letter.</summary>
    public const int MaxWordLetters = 40;
    /// <summary>100 terms of 6 words of 40 letters, quoted and separated, fit with room to spare.</summary>
    public const int MaxTextCharacters = 32 * 1024;

    /// <summary>The terms as written, or the reason the text breaks the rules (an error for the whole field).</summary>
    public static bool TryParse(string text, out IReadOnlyList<string> terms, out string? error)
    {
        terms = [];
        error = null;
        if (text.Length > MaxTextCharacters)
        {
            error = $"At most {MaxTextCharacters} characters";
            return false;
        }
        var trimmed = text.Trim();
        List<string> parsed;
        if (trimmed.StartsWith('['))
        {
            try
            {
                parsed = JsonSerializer.Deserialize<List<string?>>(trimmed)?.Select(t => t?.Trim() ?? "").ToList() ?? [];
            }
            catch (JsonException)
            {
                error = "Must be one term per line, or a JSON array of strings";
                return false;
            }
            if (parsed.Any(t => t.Contains('\n')))
            {
                error = "A term must be one line";
                return false;
            }
        }
        else
        {
            parsed = trimmed.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0).ToList();
        }
        if (parsed.Count > MaxTerms)
        {
            error = $"At most {MaxTerms} terms (got {parsed.Count})";
            return false;
        }
        if (parsed.FirstOrDefault(t => WordCount(t) > MaxWordsPerTerm) is { } tooLong)
        {
            error = $"At most {MaxWordsPerTerm} words a term (\"{Shorten(tooLong)}\" has {WordCount(tooLong)})";
            return false;
        }
        terms = parsed;
        return true;
    }

    /// <summary>
    /// Normalizes the terms, rejects the empty, the overlong and the repeated, and pronounces the
    /// words <paramref name="dictionary"/> lacks with <paramref name="pronouncers"/>, as the training's
    /// lexicon stage does (a term with a word none can pronounce is rejected).
    /// </summary>
    public static async Task<IReadOnlyList<KeytermOutcome>> CheckAsync(IReadOnlyList<string> terms,
        PronouncingDictionary dictionary, IReadOnlyList<IPronouncer> pronouncers, CancellationToken cancellationToken = default)
    {
        var normalized = terms.Select(TranscriptNormalizer.Words).ToList();
        var extension = await LexiconBuilder.ExtendAsync(
            normalized.Where(words => words.All(w => w.Length <= MaxWordLetters)).Select(words => string.Join(' ', words)),
            dictionary, pronouncers, cancellationToken);
        var pronounced = extension.NewWords.GroupBy(p => p.Word, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var unpronounceable = extension.Unpronounceable.ToHashSet(StringComparer.Ordinal);

        var firstWritten = new Dictionary<string, string>(StringComparer.Ordinal);
        var outcomes = new List<KeytermOutcome>();
        for (var i = 0; i < terms.Count; i++)
        {
            var words = normalized[i];
            var key = string.Join(' ', words);
            string? rejected = null;
            if (words.Count == 0) rejected = "no words (a term needs letters or digits)";
            else if (words.FirstOrDefault(w => w.Length > MaxWordLetters) is { } longWord)
                rejected = $"too long: \"{Shorten(longWord)}\" has more than {MaxWordLetters} letters";
            else if (firstWritten.TryGetValue(key, out var first)) rejected = $"duplicate of \"{first}\"";
            else if (words.FirstOrDefault(unpronounceable.Contains) is { } silent)
                rejected = $"unpronounceable: no pronunciation could be made for \"{silent}\"";
            if (words.Count > 0) firstWritten.TryAdd(key, terms[i]);
            outcomes.Add(new KeytermOutcome(terms[i], words, rejected,
                rejected is null ? words.Distinct().Where(pronounced.ContainsKey).SelectMany(w => pronounced[w]).ToList() : []));
        }
        return outcomes;
    }

    static int WordCount(string term) => term.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

    static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
