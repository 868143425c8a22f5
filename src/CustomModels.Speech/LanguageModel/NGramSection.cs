namespace CustomModels.Speech.LanguageModel;

/// <summary>The n-grams of one order of a backoff model: sorted packed keys with log10 probability and backoff.</summary>
internal sealed class NGramSection(UInt128[] keys, float[] logProbabilities, float[]? logBackoffs)
{
    public UInt128[] Keys { get; } = keys;

    public float[] LogProbabilities { get; } = logProbabilities;

    /// <summary>Null for the highest order, which is never a context.</summary>
    public float[]? LogBackoffs { get; } = logBackoffs;

    public int Count => Keys.Length;

    /// <summary>Index of the n-gram, or −1.</summary>
    public int IndexOf(UInt128 key) => PackedNGram.IndexOf(Keys, key);

    /// <summary>
    /// Where the n-grams that continue <paramref name="context"/> (packed, one word shorter than
    /// this order's) lie: they sort together, in [Start, End).
    /// </summary>
    public (int Start, int End) Continuations(UInt128 context)
    {
        var start = EstimationKey<UInt128>.LowerBound(Keys, 0, Keys.Length, PackedNGram.Append(context, 0));
        return (start, EstimationKey<UInt128>.LowerBound(Keys, start, Keys.Length, PackedNGram.Append(context + 1, 0)));
    }

    public float LogBackoff(int index) => LogBackoffs?[index] ?? 0;
}
