using CustomModels.Speech.Text;

namespace CustomModels.Speech.Lexicon;

/// <summary>
/// One line of a pronunciation file: how a customer says a word, either in the acoustic model's
/// phones (<see cref="Phones"/>) or as ordinary words it sounds like (<see cref="SpokenForm"/>:
/// "apixaban" → "a pix a ban"), pronounced then from the dictionary or the grapheme-to-phoneme model.
/// </summary>
public sealed record PronunciationEntry(int Line, string Word, IReadOnlyList<string>? Phones, IReadOnlyList<string>? SpokenForm);

/// <summary>What is wrong with one line of a pronunciation file (1-based line number).</summary>
public sealed record PronunciationLineError(int Line, string Message);

/// <summary>
/// Pronunciation files (`PUT …/data` with `type=pronunciation`): UTF-8 text, one entry a line,
/// <c>word&lt;TAB&gt;spoken form</c> or <c>word&lt;TAB&gt;/PH O N E S/</c>; several lines for one
/// word give variants; blank lines are skipped. Words are normalized like transcripts; phones are
/// those of the acoustic model (ARPAbet stress digits, as CMUdict writes them, are dropped).
/// </summary>
public static class PronunciationFile
{
    /// <summary>At most this many errors are listed; a file with more is wrong throughout.</summary>
    public const int MaxErrorsListed = 20;

    /// <param name="phones">The acoustic model's phones.</param>
    /// <param name="canPronounce">Whether a (normalized) word of a spoken form can be pronounced: in the dictionary, or spelt with letters the grapheme-to-phoneme model knows.</param>
    /// <exception cref="TranscriptEncodingException">The file is not UTF-8.</exception>
    public static (IReadOnlyList<PronunciationEntry> Entries, IReadOnlyList<PronunciationLineError> Errors) Parse(
        string path, IReadOnlySet<string> phones, Func<string, bool> canPronounce)
    {
        var entries = new List<PronunciationEntry>();
        var errors = new List<PronunciationLineError>();
        var number = 0;
        foreach (var line in TranscriptNormalizer.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var (entry, error) = ParseLine(number, line, phones, canPronounce);
            if (entry is not null) entries.Add(entry);
            if (error is not null && errors.Count < MaxErrorsListed) errors.Add(error);
        }
        if (entries.Count == 0 && errors.Count == 0) errors.Add(new PronunciationLineError(0, "the file has no entries"));
        return (entries, errors);
    }

    static (PronunciationEntry?, PronunciationLineError?) ParseLine(int number, string line, IReadOnlySet<string> phones,
        Func<string, bool> canPronounce)
    {
        PronunciationLineError Error(string message) => new(number, message);
        var parts = line.Split('\t');
        if (parts.Length != 2 || parts[0].Trim().Length == 0 || parts[1].Trim().Length == 0)
            return (null, Error("expected word<TAB>spoken form or word<TAB>/PHONES/"));
        var words = TranscriptNormalizer.Words(parts[0]);
        if (words.Count != 1) return (null, Error($"\"{parts[0].Trim()}\" is not one word"));
        var word = words[0];
        var form = parts[1].Trim();
        if (form.Length >= 2 && form[0] == '/' && form[^1] == '/')
        {
            var given = form[1..^1].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
                .Select(p => p.ToUpperInvariant().TrimEnd('0', '1', '2')).ToList();
            if (given.Count == 0) return (null, Error("no phones between the slashes"));
            var unknown = given.Where(p => !phones.Contains(p)).Distinct().ToList();
            if (unknown.Count > 0)
                return (null, Error($"unknown phone{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown.Select(p => $"'{p}'"))}"));
            return (new PronunciationEntry(number, word, given, null), null);
        }
        if (form.Contains('/')) return (null, Error("phones go between two slashes: /AH P IH K/"));
        var spoken = TranscriptNormalizer.Words(form);
        if (spoken.Count == 0) return (null, Error($"the spoken form \"{form}\" has no words"));
        var unpronounceable = spoken.Where(w => !canPronounce(w)).Distinct().ToList();
        if (unpronounceable.Count > 0)
            return (null, Error($"cannot pronounce {string.Join(", ", unpronounceable.Select(w => $"\"{w}\""))} of the spoken form"));
        return (new PronunciationEntry(number, word, null, spoken), null);
    }

    /// <summary>
    /// The entries' pronunciations in phones, in file order: phones as given; a spoken form as its
    /// words' pronunciations one after another (each word's first from <paramref name="dictionary"/>,
    /// else from <paramref name="pronouncers"/> in order). An entry none can pronounce is left out.
    /// </summary>
    public static async Task<IReadOnlyList<Pronunciation>> PronounceAsync(IEnumerable<PronunciationEntry> entries,
        PronouncingDictionary dictionary, IReadOnlyList<IPronouncer> pronouncers, CancellationToken ct = default)
    {
        var list = entries.ToList();
        var unknown = list.Where(e => e.SpokenForm is not null).SelectMany(e => e.SpokenForm!)
            .Where(w => !dictionary.Contains(w)).Distinct(StringComparer.Ordinal).ToList();
        var generated = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var pronouncer in pronouncers)
        {
            var remaining = unknown.Where(w => !generated.ContainsKey(w)).ToList();
            if (remaining.Count == 0) break;
            foreach (var (w, variants) in await pronouncer.PronounceAsync(remaining, ct))
                if (variants.Count > 0) generated[w] = variants[0].Phones;
        }
        var result = new List<Pronunciation>();
        foreach (var entry in list)
        {
            if (entry.Phones is not null)
            {
                result.Add(new Pronunciation(entry.Word, entry.Phones));
                continue;
            }
            var phones = new List<string>();
            foreach (var w in entry.SpokenForm!)
            {
                var known = dictionary.Lookup(w);
                if (known.Count > 0) phones.AddRange(known[0].Phones);
                else if (generated.TryGetValue(w, out var made)) phones.AddRange(made);
                else { phones.Clear(); break; }
            }
            if (phones.Count > 0) result.Add(new Pronunciation(entry.Word, phones));
        }
        // The same variant given twice (as phones and as a spoken form, say) counts once.
        return result.DistinctBy(p => (p.Word, string.Join(' ', p.Phones))).ToList();
    }
}

/// <summary>
/// The pronunciations a customer gave (<see cref="PronunciationFile"/>), asked before any generated
/// ones: a word they cover gets theirs, all variants, and no other.
/// </summary>
public sealed class GivenPronouncer(IEnumerable<Pronunciation> given) : IPronouncer
{
    private readonly ILookup<string, Pronunciation> _byWord = given.ToLookup(p => p.Word, StringComparer.OrdinalIgnoreCase);

    public string Source => "pronunciation_file";

    public Task<IReadOnlyDictionary<string, IReadOnlyList<Pronunciation>>> PronounceAsync(IReadOnlyCollection<string> words,
        CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyDictionary<string, IReadOnlyList<Pronunciation>>>(words
            .Where(w => _byWord.Contains(w)).Distinct(StringComparer.OrdinalIgnoreCase)
            .ToDictionary(w => w, w => (IReadOnlyList<Pronunciation>)_byWord[w].Select(p => p with { Word = w }).ToList(), StringComparer.OrdinalIgnoreCase));
}
