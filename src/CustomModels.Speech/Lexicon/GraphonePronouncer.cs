using CustomModels.Speech.LanguageModel;

namespace CustomModels.Speech.Lexicon;

/// <summary>A pronunciation the grapheme-to-phoneme model proposes, with its share of the model's probability for the word.</summary>
public sealed record ScoredPronunciation(IReadOnlyList<string> Phones, double Posterior);

/// <summary>
/// A joint-sequence grapheme-to-phoneme model (Bisani &amp; Ney 2008; Phonetisaurus): the words of
/// a pronouncing dictionary are split into graphones (<see cref="GraphoneAligner"/>), an n-gram
/// model of graphone sequences is estimated with the project's Kneser-Ney estimator, and a new
/// word is pronounced by a beam search over the graphone sequences that spell it. The model is an
/// ARPA file whose words are graphones written "letters}PH_PH" ("ph}F", "x}K_S", "e}").
/// </summary>
public sealed class GraphonePronouncer : IPronouncer
{
    public const int Order = KneserNeyEstimator.MaxOrder;
    public const int MaxVariants = 3;

    /// <summary>
    /// A variant is kept when its posterior is at least this share of the best one's: a second
    /// pronunciation the model finds nearly as likely is worth offering the decoder, a long shot is not.
    /// </summary>
    public const double MinVariantShare = 0.25;

    private const char Separator = '}';
    private const char PhoneSeparator = '_';
    private const int BeamWidth = 48;

    /// <summary>The alignment's share of training time (measured on cmudict-en-us: 11.1 s of 12.1 s), the rest estimating the n-gram model.</summary>
    private const double AlignmentShare = 0.9;

    private readonly BackoffLanguageModel _model;
    private readonly Dictionary<string, Graphone[]> _graphonesByLetters;
    private readonly int _sentenceStart;
    private readonly int _sentenceEnd;

    private readonly record struct Graphone(int Id, string[] Phones);

    private GraphonePronouncer(BackoffLanguageModel model)
    {
        _model = model;
        _sentenceStart = model.IdOf(BackoffLanguageModel.SentenceStart);
        _sentenceEnd = model.IdOf(BackoffLanguageModel.SentenceEnd);
        _graphonesByLetters = model.Vocabulary
            .Select((token, id) => (token, id))
            .Where(t => t.token.IndexOf(Separator) > 0)
            .GroupBy(t => t.token[..t.token.IndexOf(Separator)], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(t => new Graphone(t.id, PhonesOf(t.token))).ToArray(), StringComparer.Ordinal);
    }

    public string Source => "g2p";

    /// <summary>The graphone n-gram model, as written by <see cref="Save"/>.</summary>
    internal BackoffLanguageModel Model => _model;

    /// <summary>Trains on dictionary entries (every pronunciation of a word is an entry of its own).</summary>
    /// <param name="progress">The fraction done, after each pass of the alignment and within the estimation.</param>
    public static GraphonePronouncer Train(IReadOnlyList<Pronunciation> entries, Action<double>? progress = null)
    {
        var lowerCased = entries.Select(e => e with { Word = e.Word.ToLowerInvariant() }).ToList();
        var graphones = GraphoneAligner.Align(lowerCased, progress is null ? null : f => progress(AlignmentShare * f));
        var sentences = graphones.OfType<(string Letters, string[] Phones)[]>()
            .Select(IReadOnlyList<string> (segmentation) => segmentation.Select(g => Token(g.Letters, g.Phones)).ToArray());
        var model = KneserNeyEstimator.EstimateTokens(sentences, Order, progress is null ? null : f => progress(AlignmentShare + (1 - AlignmentShare) * f)).Model;
        return new GraphonePronouncer(model);
    }

    public static GraphonePronouncer Load(string path) => new(ArpaReader.Read(path));

    /// <summary>Writes the model to <paramref name="path"/> whole or not at all (a temporary file renamed).</summary>
    public void Save(string path)
    {
        var temporary = $"{path}.{Guid.NewGuid():N}.partial";
        ArpaWriter.Write(_model, temporary);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// Up to <paramref name="maxVariants"/> pronunciations of <paramref name="word"/>, most probable
    /// first; none when the word has a letter the dictionary never used.
    /// </summary>
    public IReadOnlyList<ScoredPronunciation> Pronounce(string word, int maxVariants = MaxVariants)
    {
        word = word.ToLowerInvariant();
        var beams = new List<Path>[word.Length + 1];
        for (var i = 0; i <= word.Length; i++) beams[i] = [];
        beams[0].Add(new Path(null, _sentenceStart, [], 0));
        Span<int> history = stackalloc int[Order - 1];
        for (var position = 0; position < word.Length; position++)
        {
            foreach (var path in Prune(beams[position]))
            {
                var context = _model.LookUpHistory(path.History(history));
                for (var letters = 1; letters <= GraphoneAligner.MaxLetters && position + letters <= word.Length; letters++)
                {
                    if (!_graphonesByLetters.TryGetValue(word.Substring(position, letters), out var candidates)) continue;
                    foreach (var graphone in candidates)
                        beams[position + letters].Add(new Path(path, graphone.Id, graphone.Phones,
                            path.LogProbability + _model.LogProbability(context, graphone.Id)));
                }
            }
        }

        // Segmentations that give the same phones are one pronunciation: their probabilities add up.
        var byPhones = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var path in Prune(beams[word.Length]))
        {
            var phones = string.Join(' ', path.Phones());
            var probability = Math.Pow(10, path.LogProbability + _model.LogProbability(path.History(history), _sentenceEnd));
            byPhones[phones] = byPhones.GetValueOrDefault(phones) + probability;
        }
        var total = byPhones.Values.Sum();
        if (!(total > 0)) return [];
        var ranked = byPhones.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).ToList();
        return ranked.Take(maxVariants)
            .Where(p => p.Value >= ranked[0].Value * MinVariantShare)
            .Select(p => new ScoredPronunciation(p.Key.Split(' ', StringSplitOptions.RemoveEmptyEntries), p.Value / total))
            .ToList();
    }

    public Task<IReadOnlyDictionary<string, IReadOnlyList<Pronunciation>>> PronounceAsync(IReadOnlyCollection<string> words,
        CancellationToken cancellationToken = default)
    {
        var result = new Dictionary<string, IReadOnlyList<Pronunciation>>(StringComparer.OrdinalIgnoreCase);
        foreach (var word in words.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var variants = Pronounce(word).Where(v => v.Phones.Count > 0).Select(v => new Pronunciation(word, v.Phones)).ToList();
            if (variants.Count > 0) result[word] = variants;
        }
        return Task.FromResult<IReadOnlyDictionary<string, IReadOnlyList<Pronunciation>>>(result);
    }

    private static List<Path> Prune(List<Path> beam)
    {
        beam.Sort((a, b) => b.LogProbability.CompareTo(a.LogProbability));
        if (beam.Count > BeamWidth) beam.RemoveRange(BeamWidth, beam.Count - BeamWidth);
        return beam;
    }

    private static string Token(string letters, string[] phones) => letters + Separator + string.Join(PhoneSeparator, phones);

    private static string[] PhonesOf(string token) =>
        token[(token.IndexOf(Separator) + 1)..].Split(PhoneSeparator, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>A partial segmentation: its last graphone, the path before it, and its log10 probability so far.</summary>
    private sealed class Path(Path? previous, int graphone, string[] phones, double logProbability)
    {
        private readonly Path? _previous = previous;
        private readonly int _graphone = graphone;
        private readonly string[] _phones = phones;

        public double LogProbability { get; } = logProbability;

        /// <summary>The last graphones (at most an n-gram context's worth), oldest first, in <paramref name="buffer"/>.</summary>
        public ReadOnlySpan<int> History(Span<int> buffer)
        {
            var count = 0;
            for (var path = this; path is not null && count < buffer.Length; path = path._previous) count++;
            var index = count;
            for (var path = this; index > 0; path = path._previous!) buffer[--index] = path._graphone;
            return buffer[..count];
        }

        public IEnumerable<string> Phones()
        {
            var parts = new List<string[]>();
            for (var path = this; path is not null; path = path._previous) parts.Add(path._phones);
            parts.Reverse();
            return parts.SelectMany(p => p);
        }
    }
}
