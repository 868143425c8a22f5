using System.Diagnostics;
using System.Numerics;

namespace CustomModels.Speech.LanguageModel;

/// <summary>What estimation produced: the model and the statistics it came from.</summary>
/// <param name="Discounts">Per order (index order − 1).</param>
/// <param name="CountsOfCounts">Per order, of the adjusted counts the discounts were computed from.</param>
/// <param name="StageTimes">Wall time of each stage, in order, for operators measuring where the time goes.</param>
public sealed record LanguageModelEstimate(
    BackoffLanguageModel Model,
    IReadOnlyList<KneserNeyDiscount> Discounts,
    IReadOnlyList<CountsOfCounts> CountsOfCounts,
    long Sentences,
    long Words,
    IReadOnlyList<StageTime> StageTimes);

public readonly record struct StageTime(string Stage, TimeSpan Elapsed);

/// <summary>
/// Interpolated modified Kneser-Ney estimation (Chen &amp; Goodman 1998) as KenLM's lmplz does
/// it, in its four stages: <see cref="CorpusCount"/> → <see cref="AdjustCounts"/> →
/// <see cref="InitialProbabilities"/> → <see cref="Interpolate"/>. Everything is held in
/// memory as sorted arrays of packed word ids, which suits transcript-sized corpora
/// (the 720,000-word King James Bible takes about 0.2 s on two cores).
/// </summary>
public static class KneserNeyEstimator
{
    public const int DefaultOrder = 3;
    public const int MinOrder = 2;
    public const int MaxOrder = PackedNGram.MaxOrder;

    /// <param name="lines">One sentence a line, as written; each is normalized with the transcript rules.</param>
    /// <exception cref="InvalidDataException">The text has no words.</exception>
    public static LanguageModelEstimate Estimate(IEnumerable<string> lines, int order = DefaultOrder)
    {
        ArgumentNullException.ThrowIfNull(lines);
        CheckOrder(order);
        var clock = new StageClock();
        return Estimate(CorpusCount.Run(lines, order), clock, Parallelism.AllCores);
    }

    /// <summary>
    /// A model of token sequences that are not text (a grapheme-to-phoneme model's graphones):
    /// each sentence is counted token by token, without the transcript normalization.
    /// </summary>
    internal static LanguageModelEstimate EstimateTokens(IEnumerable<IReadOnlyList<string>> sentences, int order)
    {
        CheckOrder(order);
        var clock = new StageClock();
        return Estimate(CorpusCount.RunTokens(sentences, order), clock, Parallelism.AllCores);
    }

    /// <summary>As <see cref="Estimate(IEnumerable{string}, int)"/> on the lines of UTF-8 text (a file's contents), only faster.</summary>
    /// <exception cref="CustomModels.Speech.Text.TranscriptEncodingException">The text is not UTF-8.</exception>
    /// <exception cref="InvalidDataException">The text has no words.</exception>
    public static LanguageModelEstimate Estimate(Stream utf8Text, int order = DefaultOrder) => Estimate(utf8Text, order, Parallelism.AllCores);

    /// <summary>As <see cref="Estimate(Stream, int)"/>; the result does not depend on <paramref name="parallelism"/>.</summary>
    internal static LanguageModelEstimate Estimate(Stream utf8Text, int order, Parallelism parallelism)
    {
        ArgumentNullException.ThrowIfNull(utf8Text);
        CheckOrder(order);
        var clock = new StageClock();
        return Estimate(CorpusCount.Run(utf8Text, order, parallelism), clock, parallelism);
    }

    private static void CheckOrder(int order)
    {
        if (order is < MinOrder or > MaxOrder)
            throw new ArgumentOutOfRangeException(nameof(order), order, $"the n-gram order must be from {MinOrder} to {MaxOrder}");
    }

    private static LanguageModelEstimate Estimate(CorpusCount corpus, StageClock clock, Parallelism parallelism)
    {
        clock.Lap("read");
        return EstimationKey<ulong>.Fits(corpus.Order, corpus.Vocabulary.Length)
            ? Estimate(corpus, new EstimationKey<ulong>(EstimationKey<ulong>.BitsFor(corpus.Vocabulary.Length)), clock, parallelism)
            : Estimate(corpus, new EstimationKey<UInt128>(EstimationKey<UInt128>.BitsFor(corpus.Vocabulary.Length)), clock, parallelism);
    }

    private static LanguageModelEstimate Estimate<TKey>(CorpusCount corpus, EstimationKey<TKey> key, StageClock clock, Parallelism parallelism)
        where TKey : unmanaged, IBinaryInteger<TKey>, IUnsignedNumber<TKey>
    {
        var raw = corpus.CountNGrams(key, parallelism);
        clock.Lap("count");
        var counts = AdjustCounts.Run(raw, corpus.Vocabulary.Length, key, parallelism);
        var countsOfCounts = counts.Select(c => c.CountsOfCounts()).ToArray();
        var discounts = countsOfCounts.Select(KneserNeyDiscount.FromCountsOfCounts).ToArray();
        clock.Lap("adjust");
        var initial = new UninterpolatedOrder<TKey>[counts.Length];
        parallelism.For(0, counts.Length, n => initial[n] = InitialProbabilities.Run(counts[n], discounts[n], key));
        clock.Lap("initial probabilities");
        var model = Interpolate.Run(corpus.Vocabulary, counts, initial, key, parallelism);
        clock.Lap("interpolate");
        return new LanguageModelEstimate(model, discounts, countsOfCounts, corpus.Sentences, corpus.Words, clock.Times);
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
    }
}
