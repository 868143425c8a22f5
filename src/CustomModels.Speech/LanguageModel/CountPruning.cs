using System.Numerics;

namespace CustomModels.Speech.LanguageModel;

/// <summary>
/// Count pruning, as KenLM's <c>lmplz --prune</c> with one threshold for every order from 2 up:
/// the n-grams of order 2 and up that occur in the text fewer than <see cref="MinimumCount"/>
/// times are left out of the model, after discounting. They still count everywhere else: in the
/// lower orders' continuation counts, in the counts of counts the discounts come from, and in
/// their context's denominator; the probability they would have had goes to their context's
/// backoff weight (<see cref="Interpolate"/>), so that every context still sums to 1. An n-gram
/// occurs at least as often as any n-gram that extends it to the left or to the right, so with
/// one threshold the prefix (context) and the suffix (lower order) of every n-gram kept are
/// kept too, and the result is a valid backoff model.
/// </summary>
/// <param name="MinimumCount">1 when nothing is pruned.</param>
/// <param name="NGramCounts">How many n-grams of each order the pruned model has (index order − 1).</param>
internal sealed record CountPruning(long MinimumCount, long[] NGramCounts)
{
    /// <summary>Thresholds beyond this are not tried: a model would need billions of words to want one.</summary>
    public const int LargestThreshold = 1 << 12;

    /// <summary>
    /// The smallest threshold at which the model has at most <paramref name="ngramLimit"/> n-grams
    /// (unigrams included, though never pruned); 1, pruning nothing, when the whole model fits.
    /// It depends only on the counts, so the model is the same whatever the memory budget.
    /// </summary>
    public static CountPruning Choose<TKey>(OrderCounts<TKey>[] counts, long ngramLimit)
        where TKey : unmanaged, IBinaryInteger<TKey>, IUnsignedNumber<TKey>
    {
        var order = counts.Length;
        // occurring[n − 1][c]: how many n-grams occur c times (c = LargestThreshold: that often or more).
        var occurring = new long[order][];
        for (var n = 2; n <= order; n++)
        {
            var histogram = occurring[n - 1] = new long[LargestThreshold + 1];
            var current = counts[n - 1];
            for (var i = 0; i < current.Keys.Length; i++) histogram[Math.Min(current.OccurrencesOf(i), LargestThreshold)]++;
        }
        return FromHistograms(counts[0].Keys.Length, occurring, ngramLimit);
    }

    /// <summary>As <see cref="Choose{TKey}"/>, from how many n-grams of each order occur c times (c = <see cref="LargestThreshold"/>: that often or more).</summary>
    /// <param name="occurring">Index order − 1, from order 2; then index c.</param>
    public static CountPruning FromHistograms(long unigrams, long[]?[] occurring, long ngramLimit)
    {
        var order = occurring.Length;
        long[] KeptAt(long minimumCount) => Enumerable.Range(1, order)
            .Select(n => n == 1 ? unigrams : occurring[n - 1]!.Skip((int)minimumCount).Sum())
            .ToArray();

        var minimumCount = 1L;
        var kept = KeptAt(minimumCount);
        while (kept.Sum() > ngramLimit && minimumCount < LargestThreshold) kept = KeptAt(++minimumCount);
        return new CountPruning(minimumCount, kept);
    }

    /// <summary>Whether n-gram <paramref name="index"/> of <paramref name="ngrams"/> is in the model.</summary>
    public bool Keeps<TKey>(OrderCounts<TKey> ngrams, int index) => ngrams.Order == 1 || ngrams.OccurrencesOf(index) >= MinimumCount;
}
