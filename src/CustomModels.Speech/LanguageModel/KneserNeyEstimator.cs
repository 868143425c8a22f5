namespace CustomModels.Speech.LanguageModel;

/// <summary>What estimation produced: the model and the statistics it came from.</summary>
/// <param name="Discounts">Per order (index order − 1).</param>
/// <param name="CountsOfCounts">Per order, of the adjusted counts the discounts were computed from.</param>
public sealed record LanguageModelEstimate(
    BackoffLanguageModel Model,
    IReadOnlyList<KneserNeyDiscount> Discounts,
    IReadOnlyList<CountsOfCounts> CountsOfCounts,
    long Sentences,
    long Words);

/// <summary>
/// Interpolated modified Kneser-Ney estimation (Chen &amp; Goodman 1998) as KenLM's lmplz does
/// it, in its four stages: <see cref="CorpusCount"/> → <see cref="AdjustCounts"/> →
/// <see cref="InitialProbabilities"/> → <see cref="Interpolate"/>. Everything is held in
/// memory as sorted arrays of packed word ids, which suits transcript-sized corpora
/// (the 820,000-word King James Bible takes about a second).
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
        return Estimate(CorpusCount.Run(lines, order));
    }

    /// <summary>As <see cref="Estimate(IEnumerable{string}, int)"/> on the lines of UTF-8 text (a file's contents), only faster.</summary>
    /// <exception cref="CustomModels.Speech.Text.TranscriptEncodingException">The text is not UTF-8.</exception>
    /// <exception cref="InvalidDataException">The text has no words.</exception>
    public static LanguageModelEstimate Estimate(Stream utf8Text, int order = DefaultOrder)
    {
        ArgumentNullException.ThrowIfNull(utf8Text);
        CheckOrder(order);
        return Estimate(CorpusCount.Run(utf8Text, order));
    }

    private static void CheckOrder(int order)
    {
        if (order is < MinOrder or > MaxOrder)
            throw new ArgumentOutOfRangeException(nameof(order), order, $"the n-gram order must be from {MinOrder} to {MaxOrder}");
    }

    private static LanguageModelEstimate Estimate(CorpusCount corpus)
    {
        var counts = AdjustCounts.Run(corpus);
        var countsOfCounts = counts.Select(c => c.CountsOfCounts()).ToArray();
        var discounts = countsOfCounts.Select(KneserNeyDiscount.FromCountsOfCounts).ToArray();
        var initial = counts.Select((c, i) => InitialProbabilities.Run(c, discounts[i])).ToArray();
        var model = Interpolate.Run(corpus.Vocabulary, counts, initial);
        return new LanguageModelEstimate(model, discounts, countsOfCounts, corpus.Sentences, corpus.Words);
    }
}
