using System.Diagnostics;
using System.Numerics;

namespace CustomModels.Speech.LanguageModel;

/// <summary>What estimation produced: the model and the statistics it came from.</summary>
/// <param name="Discounts">Per order (index order − 1).</param>
/// <param name="CountsOfCounts">Per order, of the adjusted counts the discounts were computed from.</param>
/// <param name="StageTimes">Wall time of each stage, in order, for operators measuring where the time goes.</param>
/// <param name="SpilledRuns">How many sorted runs of counts went to disk because they exceeded the memory budget.</param>
public sealed record LanguageModelEstimate(
    BackoffLanguageModel Model,
    IReadOnlyList<KneserNeyDiscount> Discounts,
    IReadOnlyList<CountsOfCounts> CountsOfCounts,
    long Sentences,
    long Words,
    IReadOnlyList<StageTime> StageTimes,
    int SpilledRuns);

public readonly record struct StageTime(string Stage, TimeSpan Elapsed);

/// <summary>How estimation may use memory and disk, and how it reports and stops.</summary>
public sealed record EstimationOptions
{
    public const int DefaultMemoryBudgetMegabytes = 1024;

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
}

/// <summary>
/// Interpolated modified Kneser-Ney estimation (Chen &amp; Goodman 1998) as KenLM's lmplz does
/// it, in its four stages: <see cref="CorpusCount"/> → <see cref="AdjustCounts"/> →
/// <see cref="InitialProbabilities"/> → <see cref="Interpolate"/>. The text is streamed (read
/// twice, never held) and the n-gram occurrences counted within a memory budget; the distinct
/// n-grams are then held as sorted arrays of packed word ids.
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
        return Estimate(SentenceSource.FromLines(lines), order, new EstimationOptions(), Parallelism.AllCores);
    }

    /// <summary>
    /// A model of token sequences that are not text (a grapheme-to-phoneme model's graphones):
    /// each sentence is counted token by token, without the transcript normalization.
    /// </summary>
    /// <param name="sentences">Enumerated twice.</param>
    internal static LanguageModelEstimate EstimateTokens(IEnumerable<IReadOnlyList<string>> sentences, int order) =>
        Estimate(SentenceSource.FromTokens(sentences), order, new EstimationOptions(), Parallelism.AllCores);

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
        return Estimate(SentenceSource.FromUtf8(utf8Text), order, options, parallelism);
    }

    private static LanguageModelEstimate Estimate(SentenceSource text, int order, EstimationOptions options, Parallelism parallelism)
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
                ? Estimate(corpus, new EstimationKey<ulong>(EstimationKey<ulong>.BitsFor(corpus.Vocabulary.Length)), clock, options, runDirectory, parallelism)
                : Estimate(corpus, new EstimationKey<UInt128>(EstimationKey<UInt128>.BitsFor(corpus.Vocabulary.Length)), clock, options, runDirectory, parallelism);
        }
        finally
        {
            Directory.Delete(runDirectory, recursive: true);
        }
    }

    private static LanguageModelEstimate Estimate<TKey>(CorpusCount corpus, EstimationKey<TKey> key, StageClock clock,
        EstimationOptions options, string runDirectory, Parallelism parallelism)
        where TKey : unmanaged, IBinaryInteger<TKey>, IUnsignedNumber<TKey>
    {
        var ct = options.CancellationToken;
        var progress = options.Progress;
        // No local holds the raw counts: adjusting consumes them (the highest order's arrays become its own).
        var counts = AdjustCounts.Run(
            clock.Lap("count", corpus.CountNGrams(key, parallelism, options.MemoryBudgetBytes, runDirectory, progress is null ? null : f => progress(0.2 + 0.3 * f), ct)),
            corpus.Vocabulary.Length, key, parallelism);
        clock.Lap("adjust");
        progress?.Invoke(0.65);
        ct.ThrowIfCancellationRequested();
        var countsOfCounts = counts.Select(c => c.CountsOfCounts()).ToArray();
        var discounts = countsOfCounts.Select(KneserNeyDiscount.FromCountsOfCounts).ToArray();
        var initial = new UninterpolatedOrder<TKey>[counts.Length];
        parallelism.For(0, counts.Length, n =>
        {
            initial[n] = InitialProbabilities.Run(counts[n], discounts[n], key);
            counts[n].ReleaseCounts();
        });
        clock.Lap("initial probabilities");
        progress?.Invoke(0.8);
        ct.ThrowIfCancellationRequested();
        var model = Interpolate.Run(corpus.Vocabulary, counts, initial, key, parallelism);
        clock.Lap("interpolate");
        progress?.Invoke(1);
        return new LanguageModelEstimate(model, discounts, countsOfCounts, corpus.Sentences, corpus.Words, clock.Times, corpus.SpilledRuns);
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
