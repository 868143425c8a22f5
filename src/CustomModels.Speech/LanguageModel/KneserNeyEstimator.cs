using System.Diagnostics;
using System.Numerics;

namespace CustomModels.Speech.LanguageModel;

/// <summary>What estimation produced: the model and the statistics it came from.</summary>
/// <param name="Model">
/// The whole model; from <see cref="KneserNeyEstimator.EstimateToArpa"/>, which writes the whole
/// model to a file instead, every unigram and only the n-grams that scoring its scored text consults.
/// </param>
/// <param name="NGramCounts">How many n-grams of each order the whole model has (index order − 1).</param>
/// <param name="Discounts">Per order (index order − 1).</param>
/// <param name="CountsOfCounts">Per order, of the adjusted counts the discounts were computed from.</param>
/// <param name="StageTimes">Wall time of each stage, in order, for operators measuring where the time goes.</param>
/// <param name="SpilledRuns">How many sorted runs of counts went to disk because they exceeded the memory budget.</param>
/// <param name="PrunedBelow">
/// The n-grams of order 2 and up seen fewer times than this were pruned to keep the model within
/// <see cref="EstimationOptions.NGramLimit"/>; 1 when nothing was.
/// </param>
public sealed record LanguageModelEstimate(
    BackoffLanguageModel Model,
    IReadOnlyList<long> NGramCounts,
    IReadOnlyList<KneserNeyDiscount> Discounts,
    IReadOnlyList<CountsOfCounts> CountsOfCounts,
    long Sentences,
    long Words,
    IReadOnlyList<StageTime> StageTimes,
    int SpilledRuns,
    long PrunedBelow);

public readonly record struct StageTime(string Stage, TimeSpan Elapsed);

/// <summary>How estimation may use memory and disk, and how it reports and stops.</summary>
public sealed record EstimationOptions
{
    public const int DefaultMemoryBudgetMegabytes = 1024;

    /// <summary>
    /// The n-gram limit training gives a domain model (<see cref="NGramLimit"/>): what sphinxbase
    /// reads from ARPA text in seconds. Reading costs microseconds and some 70 bytes per n-gram
    /// (measured with sphinx_lm_convert, load average 23: 30.6 million n-grams, 168 s and 2.1 GB;
    /// 2.7 million, 11.9 s and 198 MB), and a trained model is read to choose its weight and by
    /// every decoder. A domain text of a few megabytes has far fewer n-grams and is never pruned;
    /// the 200 MB bench corpus (bench/train-large) has 30.6 million, nine in ten of them seen once.
    /// </summary>
    public const long DecoderNGramLimit = 4_000_000;

    /// <summary>
    /// Memory for gathering the n-gram occurrences; beyond it they are counted in sorted runs
    /// spilled to <see cref="TemporaryDirectory"/> and merged. The model does not depend on it.
    /// </summary>
    public long MemoryBudgetBytes { get; init; } = DefaultMemoryBudgetMegabytes * (1L << 20);

    /// <summary>Where runs are spilled (in a folder of their own, removed afterwards); the system's temporary folder when null.</summary>
    public string? TemporaryDirectory { get; init; }

    /// <summary>Called from the estimating thread with the fraction done (0 to 1), at least every few thousand lines.</summary>
    public Action<double>? Progress { get; init; }

    /// <summary>Looked at every few thousand lines while reading and counting, and between stages.</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>
    /// The most n-grams (of all orders) the model may have: beyond it, the n-grams of order 2 and
    /// up seen fewer than k times are pruned, k the smallest that fits (<see cref="CountPruning"/>).
    /// Unlimited by default.
    /// </summary>
    public long NGramLimit { get; init; } = long.MaxValue;

    /// <summary>
    /// Adjusts the counts of a trigram model with every n-gram held in memory (<see cref="AdjustCounts"/>),
    /// as other orders are, instead of from one read of the merged counts (<see cref="StreamedAdjustCounts"/>):
    /// the same model, for the tests that compare the two.
    /// </summary>
    internal bool HoldEveryNGram { get; init; }
}

/// <summary>
/// Interpolated modified Kneser-Ney estimation (Chen &amp; Goodman 1998) as KenLM's lmplz does
/// it, in its stages: <see cref="CorpusCount"/> → <see cref="AdjustCounts"/> →
/// <see cref="Interpolate"/> (initial probabilities and interpolation, order by order). The text
/// is streamed (read twice, never held) and the n-gram occurrences counted within a memory
/// budget; the distinct n-grams are then held as sorted arrays of packed word ids, and the
/// model's orders are produced one after the other, so that <see cref="EstimateToArpa"/> writes
/// a model it never holds whole. A trigram model holds only the n-grams it keeps: its trigram
/// counts are read once as their runs merge (<see cref="StreamedAdjustCounts"/>), so that pruning
/// a large text's model needs memory for the model rather than for every n-gram of the text.
/// </summary>
public static class KneserNeyEstimator
{
    public const int DefaultOrder = 3;
    public const int MinOrder = 2;
    public const int MaxOrder = PackedNGram.MaxOrder;

    /// <param name="lines">One sentence a line, as written; each is normalized with the transcript rules. Enumerated twice.</param>
    /// <exception cref="InvalidDataException">The text has no words.</exception>
    public static LanguageModelEstimate Estimate(IEnumerable<string> lines, int order = DefaultOrder)
    {
        ArgumentNullException.ThrowIfNull(lines);
        return EstimateWhole(SentenceSource.FromLines(lines), order, new EstimationOptions(), Parallelism.AllCores);
    }

    /// <summary>
    /// A model of token sequences that are not text (a grapheme-to-phoneme model's graphones):
    /// each sentence is counted token by token, without the transcript normalization.
    /// </summary>
    /// <param name="sentences">Enumerated twice.</param>
    internal static LanguageModelEstimate EstimateTokens(IEnumerable<IReadOnlyList<string>> sentences, int order, Action<double>? progress = null) =>
        EstimateWhole(SentenceSource.FromTokens(sentences), order, new EstimationOptions { Progress = progress }, Parallelism.AllCores);

    /// <summary>As <see cref="Estimate(IEnumerable{string}, int)"/> on the lines of UTF-8 text (a file's contents), only faster.</summary>
    /// <param name="utf8Text">Seekable: it is read twice, from its current position.</param>
    /// <exception cref="CustomModels.Speech.Text.TranscriptEncodingException">The text is not UTF-8.</exception>
    /// <exception cref="InvalidDataException">The text has no words.</exception>
    public static LanguageModelEstimate Estimate(Stream utf8Text, int order = DefaultOrder) => Estimate(utf8Text, order, new EstimationOptions());

    /// <inheritdoc cref="Estimate(Stream, int)"/>
    public static LanguageModelEstimate Estimate(Stream utf8Text, int order, EstimationOptions options) =>
        Estimate(utf8Text, order, options, Parallelism.AllCores);

    /// <summary>As <see cref="Estimate(Stream, int, EstimationOptions)"/>; the result does not depend on <paramref name="parallelism"/>.</summary>
    internal static LanguageModelEstimate Estimate(Stream utf8Text, int order, EstimationOptions options, Parallelism parallelism)
    {
        ArgumentNullException.ThrowIfNull(utf8Text);
        return EstimateWhole(SentenceSource.FromUtf8(utf8Text), order, options, parallelism);
    }

    private static LanguageModelEstimate EstimateWhole(SentenceSource text, int order, EstimationOptions options, Parallelism parallelism) =>
        Estimate(text, order, options, parallelism, "interpolate", (_, _, sections) => sections.Select(s => s.ToModelSection(parallelism)).ToArray());

    /// <summary>
    /// As <see cref="Estimate(Stream, int, EstimationOptions)"/>, writing the model as ARPA to
    /// <paramref name="arpa"/> order by order as it is estimated, never holding it whole: the
    /// bytes are those <see cref="ArpaWriter"/> writes of the whole model. The estimate's model
    /// keeps every unigram and only the n-grams that scoring <paramref name="scoredText"/> consults,
    /// so that <see cref="Perplexity.Measure"/> of that text gives what the whole model gives.
    /// </summary>
    /// <param name="scoredText">One sentence a line, normalized as <see cref="Perplexity.Measure"/> does.</param>
    public static LanguageModelEstimate EstimateToArpa(Stream utf8Text, int order, EstimationOptions options, Stream arpa, IEnumerable<string>? scoredText = null)
    {
        ArgumentNullException.ThrowIfNull(utf8Text);
        ArgumentNullException.ThrowIfNull(arpa);
        var parallelism = Parallelism.AllCores;
        return Estimate(SentenceSource.FromUtf8(utf8Text), order, options, parallelism, "interpolate and write", (vocabulary, counts, sections) =>
        {
            var wanted = ScoredNGrams(vocabulary, scoredText ?? [], order);
            var kept = new List<NGramSection>();
            ArpaWriter.Write(arpa, vocabulary, counts, sections.Select(section =>
            {
                kept.Add(section.Order == 1 ? section.ToModelSection(parallelism) : section.ToModelSection(wanted[section.Order - 1]));
                return (IArpaSection)section;
            }), parallelism);
            return kept.ToArray();
        });
    }

    /// <summary>For each order (index order − 1), every n-gram of words next to each other in the sentences with their start and end.</summary>
    private static HashSet<UInt128>[] ScoredNGrams(string[] vocabulary, IEnumerable<string> lines, int order)
    {
        Dictionary<string, int>? ids = null; // built for the first sentence: lm build scores none
        var wanted = Enumerable.Range(0, order).Select(_ => new HashSet<UInt128>()).ToArray();
        foreach (var line in lines)
        {
            var words = Text.TranscriptNormalizer.Words(line);
            if (words.Count == 0) continue;
            ids ??= vocabulary.Select((word, id) => KeyValuePair.Create(word, id)).ToDictionary(StringComparer.Ordinal);
            var sentence = new int[words.Count + 2];
            sentence[0] = CorpusCount.SentenceStartId;
            for (var i = 0; i < words.Count; i++) sentence[i + 1] = ids.GetValueOrDefault(words[i], CorpusCount.UnknownId);
            sentence[^1] = CorpusCount.SentenceEndId;
            for (var length = 2; length <= order; length++)
            {
                for (var start = 0; start + length <= sentence.Length; start++)
                    wanted[length - 1].Add(PackedNGram.Pack(sentence.AsSpan(start, length)));
            }
        }
        return wanted;
    }

    /// <param name="stage">The name of the stage after adjusting, in the stage times.</param>
    /// <param name="build">
    /// Given the vocabulary, the n-gram count of each order and the orders as they are produced
    /// (lowest first, each to be used before the next is asked for), the sections of the model to return.
    /// </param>
    private static LanguageModelEstimate Estimate(SentenceSource text, int order, EstimationOptions options, Parallelism parallelism,
        string stage, Func<string[], IReadOnlyList<long>, IEnumerable<EstimatedSection>, NGramSection[]> build)
    {
        if (order is < MinOrder or > MaxOrder)
            throw new ArgumentOutOfRangeException(nameof(order), order, $"the n-gram order must be from {MinOrder} to {MaxOrder}");
        var clock = new StageClock();
        var ct = options.CancellationToken;
        var progress = options.Progress;
        // Shares of the work, measured on a 200 MB corpus: reading 0.2, counting 0.3, the rest 0.5.
        var corpus = CorpusCount.Run(text, order, progress is null ? null : f => progress(0.2 * f), ct);
        clock.Lap("read");
        var runDirectory = Path.Combine(options.TemporaryDirectory ?? Path.GetTempPath(), $"lm-counts-{Guid.NewGuid():N}");
        Directory.CreateDirectory(runDirectory);
        try
        {
            return EstimationKey<ulong>.Fits(order, corpus.Vocabulary.Length)
                ? Estimate(corpus, new EstimationKey<ulong>(EstimationKey<ulong>.BitsFor(corpus.Vocabulary.Length)), clock, options, runDirectory, parallelism, stage, build)
                : Estimate(corpus, new EstimationKey<UInt128>(EstimationKey<UInt128>.BitsFor(corpus.Vocabulary.Length)), clock, options, runDirectory, parallelism, stage, build);
        }
        finally
        {
            Directory.Delete(runDirectory, recursive: true);
        }
    }

    private static LanguageModelEstimate Estimate<TKey>(CorpusCount corpus, EstimationKey<TKey> key, StageClock clock,
        EstimationOptions options, string runDirectory, Parallelism parallelism, string stage,
        Func<string[], IReadOnlyList<long>, IEnumerable<EstimatedSection>, NGramSection[]> build)
        where TKey : unmanaged, IBinaryInteger<TKey>, IUnsignedNumber<TKey>
    {
        var ct = options.CancellationToken;
        var progress = options.Progress;
        Action<double>? Share(double from, double to) => progress is null ? null : f => progress(from + (to - from) * f);
        OrderCounts<TKey>[] counts;
        CountsOfCounts[] countsOfCounts;
        CountPruning pruning;
        if (corpus.Order == 3 && !options.HoldEveryNGram)
        {
            // The trigrams, most of the n-grams, are read once as their runs merge and only those
            // the model can keep are held: memory for the model, not for the text's n-grams.
            var (trigrams, lower) = corpus.CountNGramsLastWordFirst(key, parallelism, options.MemoryBudgetBytes, runDirectory, Share(0.2, 0.5), ct);
            using (trigrams)
            {
                clock.Lap("count");
                (counts, countsOfCounts, pruning) = StreamedAdjustCounts.Run(trigrams, lower[1], corpus.Vocabulary.Length, key, options.NGramLimit,
                    parallelism, Share(0.5, 0.8), ct);
                corpus.SpilledRuns += trigrams.Runs;
            }
            clock.Lap("adjust");
        }
        else
        {
            // No local holds the raw counts: adjusting consumes them (the highest order's arrays become its own).
            counts = AdjustCounts.Run(
                clock.Lap("count", corpus.CountNGrams(key, parallelism, options.MemoryBudgetBytes, runDirectory, Share(0.2, 0.5), ct)),
                corpus.Vocabulary.Length, key, parallelism);
            clock.Lap("adjust");
            countsOfCounts = counts.Select(c => c.CountsOfCounts()).ToArray();
            pruning = CountPruning.Choose(counts, options.NGramLimit);
        }
        progress?.Invoke(0.8);
        ct.ThrowIfCancellationRequested();
        var discounts = countsOfCounts.Select(KneserNeyDiscount.FromCountsOfCounts).ToArray();
        var ngramCounts = pruning.NGramCounts;
        var sections = Interpolate.Run(corpus.Vocabulary.Length, counts, discounts, pruning, key, parallelism, ct)
            .Select(section =>
            {
                progress?.Invoke(0.8 + 0.2 * (section.Order - 1) / ngramCounts.Length);
                return section;
            });
        var model = new BackoffLanguageModel(corpus.Vocabulary, build(corpus.Vocabulary, ngramCounts, sections));
        clock.Lap(stage);
        progress?.Invoke(1);
        return new LanguageModelEstimate(model, ngramCounts, discounts, countsOfCounts, corpus.Sentences, corpus.Words, clock.Times, corpus.SpilledRuns,
            pruning.MinimumCount);
    }

    private sealed class StageClock
    {
        private readonly Stopwatch _stopwatch = Stopwatch.StartNew();
        private readonly List<StageTime> _times = [];

        public IReadOnlyList<StageTime> Times => _times;

        public void Lap(string stage)
        {
            _times.Add(new StageTime(stage, _stopwatch.Elapsed));
            _stopwatch.Restart();
        }

        /// <summary>Ends a stage that produced <paramref name="result"/>, passing it on.</summary>
        public T Lap<T>(string stage, T result)
        {
            Lap(stage);
            return result;
        }
    }
}
