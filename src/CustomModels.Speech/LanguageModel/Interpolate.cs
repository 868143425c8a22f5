using System.Numerics;
using System.Runtime.CompilerServices;

namespace CustomModels.Speech.LanguageModel;


/// <summary>
/// Stages 3 and 4, order by order from the unigrams up, each order computed in one pass over
/// its adjusted counts a:
/// the uninterpolated u(w | c) = (a(c w) − D(a(c w))) / Σ_w a(c w) and the weight each context
/// hands down, γ(c) = (D1 N1(c) + D2 N2(c) + D3+ N3+(c)) / Σ_w a(c w) (Nk(c): how many words follow
/// c with adjusted count k, 3 or more for N3+), then the interpolated
/// p(w) = u(w) + γ(ε) / |V| with |V| the vocabulary including &lt;unk&gt; and excluding &lt;s&gt;
/// (so &lt;unk&gt;, never seen, gets exactly the uniform share), and
/// p(w | c) = u(w | c) + γ(c) p(w | c without its first word).
/// Each n-gram that is a context of the order above gets γ as its backoff weight: for a word
/// not seen after c the formula leaves γ(c) p(w | shorter c), which is exactly what a backoff
/// model computes, so the ARPA model is the interpolated model. &lt;s&gt; is only ever a context:
/// its probability is written as −99, as in SRILM's ARPA files.
/// An order is handed on as soon as the order above has given it its backoffs, and its arrays
/// are released then: only two orders are ever held at once, as lmplz streams them.
/// With <see cref="CountPruning"/>, as lmplz --prune: a pruned n-gram's adjusted count stays in its
/// context's denominator but not in N1, N2, N3+, and the whole of it joins γ(c), which then holds
/// what the pruned words had of u(w | c); a context still sums to 1 with them gone, and the
/// n-grams kept have the probabilities of the unpruned model under that γ. Pruned n-grams are
/// dropped from an order when it is handed on.
/// </summary>
internal static class Interpolate
{
    private const int ChunkSize = 1 << 16;

    /// <param name="counts">Adjusted counts (<see cref="AdjustCounts"/>); consumed.</param>
    /// <returns>Each order, lowest first, computed as it is asked for.</returns>
    public static IEnumerable<EstimatedSection> Run<TKey>(int vocabularySize, OrderCounts<TKey>[] counts, IReadOnlyList<KneserNeyDiscount> discounts,
        CountPruning pruning, EstimationKey<TKey> key, Parallelism parallelism, CancellationToken ct)
        where TKey : unmanaged, IBinaryInteger<TKey>, IUnsignedNumber<TKey>
    {
        var order = counts.Length;
        double[] lower = [1.0 / (vocabularySize - 1)]; // the empty context's "lower order": the uniform share
        TKey[]? lowerKeys = null;
        bool[]? lowerKept = null;
        for (var n = 1; n <= order; n++)
        {
            ct.ThrowIfCancellationRequested();
            var current = counts[n - 1];
            var highest = n == order;
            // The highest order's probabilities are needed only as logarithms; lower ones feed the order above.
            var probabilities = highest ? null : new double[current.Keys.Length];
            var logProbabilities = highest ? new float[current.Keys.Length] : null;
            var lowerBackoffs = lowerKeys is null ? null : new float[lowerKeys.Length]; // 0: not a context
            var suffixIndexes = current.SuffixIndexes; // null for unigrams, whose lower order is the uniform share
            var kept = pruning.MinimumCount > 1 && n > 1 ? new bool[current.Keys.Length] : null; // null: every n-gram kept
            var contextTotals = n > 1 ? counts[n - 2].ContextTotals : null; // null: this order holds every n-gram of each context
            var chunks = ContextAlignedChunks(current.Keys, key);
            parallelism.For(0, chunks.Length - 1, c =>
            {
                var keys = current.Keys;
                var adjusted = current.Counts;
                var discount = discounts[n - 1];
                Span<long> followers = stackalloc long[4]; // index 1, 2, 3 = N1, N2, N3+ of one context
                var contextIndex = lowerKeys is null ? 0 : EstimationKey<TKey>.LowerBound(lowerKeys, 0, lowerKeys.Length, key.Context(keys[chunks[c]]));
                ct.ThrowIfCancellationRequested();
                // Keys are sorted with the context in the high bits, so each context is one run.
                for (var start = chunks[c]; start < chunks[c + 1];)
                {
                    var context = key.Context(keys[start]);
                    var end = start;
                    long held = 0, prunedMass = 0;
                    followers.Clear();
                    for (; end < keys.Length && key.Context(keys[end]) == context; end++)
                    {
                        held += adjusted[end];
                        if (kept is not null && !(kept[end] = pruning.Keeps(current, end))) prunedMass += adjusted[end];
                        else if (adjusted[end] > 0) followers[(int)Math.Min(adjusted[end], 3)]++;
                    }
                    if (lowerKeys is not null)
                    {
                        // The contexts are sorted like the lower order's keys, so a forward walk finds them.
                        while (contextIndex < lowerKeys.Length && lowerKeys[contextIndex] < context) contextIndex++;
                        if (contextIndex == lowerKeys.Length || lowerKeys[contextIndex] != context)
                            throw new InvalidOperationException($"internal error: a {n}-gram context is not a {n - 1}-gram");
                    }
                    // The n-grams of the context this order does not hold are pruned ones: their mass is the rest of the total.
                    var denominator = contextTotals is null ? held : contextTotals[contextIndex];
                    prunedMass += denominator - held;
                    var gamma = (discount.D1 * followers[1] + discount.D2 * followers[2] + discount.D3Plus * followers[3] + prunedMass) / denominator;
                    for (var i = start; i < end; i++)
                    {
                        var p = (adjusted[i] - discount.For(adjusted[i])) / denominator + gamma * lower[suffixIndexes?[i] ?? 0];
                        if (highest) logProbabilities![i] = LogProbability(p);
                        else probabilities![i] = p;
                    }
                    if (lowerKeys is not null) lowerBackoffs![contextIndex] = LogWeight(gamma);
                    start = end;
                }
            });
            current.ReleaseCounts();
            current.ReleaseSuffixIndexes();
            ReleasedArrays.Reclaim(current.Keys.Length * (sizeof(long) + (n > 1 ? sizeof(int) : 0L)));

            if (lowerKeys is not null)
            {
                yield return new EstimatedSection<TKey>(n - 1, lowerKeys, Logarithms(lower, n - 1, parallelism), lowerBackoffs, key).Only(lowerKept);
                counts[n - 2].ReleaseKeys();
            }
            if (highest)
            {
                yield return new EstimatedSection<TKey>(n, current.Keys, logProbabilities!, null, key).Only(kept);
                current.ReleaseKeys();
            }
            var released = lower.Length * (long)sizeof(double) + (lowerKeys?.Length ?? 0) * (long)Unsafe.SizeOf<TKey>();
            lower = probabilities!;
            lowerKeys = current.Keys;
            lowerKept = kept;
            ReleasedArrays.Reclaim(released);
        }
    }

    /// <summary>Chunk boundaries for sharing an order between cores: about <see cref="ChunkSize"/> keys each, never splitting a context.</summary>
    private static int[] ContextAlignedChunks<TKey>(TKey[] keys, EstimationKey<TKey> key)
        where TKey : unmanaged, IBinaryInteger<TKey>, IUnsignedNumber<TKey>
    {
        var boundaries = new List<int> { 0 };
        for (var next = ChunkSize; next < keys.Length; next += ChunkSize)
        {
            var boundary = Math.Max(next, boundaries[^1]);
            while (boundary < keys.Length && key.Context(keys[boundary]) == key.Context(keys[boundary - 1])) boundary++;
            if (boundary == keys.Length) break;
            if (boundary > boundaries[^1]) boundaries.Add(boundary);
        }
        boundaries.Add(keys.Length);
        return boundaries.ToArray();
    }

    private static float[] Logarithms(double[] probabilities, int n, Parallelism parallelism)
    {
        var logProbabilities = new float[probabilities.Length];
        parallelism.For(0, (probabilities.Length + ChunkSize - 1) / ChunkSize, chunk =>
        {
            for (var i = chunk * ChunkSize; i < Math.Min(probabilities.Length, (chunk + 1) * ChunkSize); i++)
                logProbabilities[i] = LogProbability(probabilities[i]);
        });
        // No n-gram ends in <s>, so no higher order depends on its unigram probability.
        if (n == 1) logProbabilities[CorpusCount.SentenceStartId] = BackoffLanguageModel.ImpossibleLogProbability; // unigram index = word id
        return logProbabilities;
    }

    /// <summary>log10 p, never above 0 (rounding can push a sum a hair over 1).</summary>
    private static float LogProbability(double probability) => Math.Min(LogWeight(probability), 0);

    /// <summary>
    /// log10 of a probability or backoff weight, never −∞: a weight of 0 (a discount of exactly
    /// 0 can give one) is written as −99, the ARPA convention for "impossible".
    /// </summary>
    private static float LogWeight(double weight)
    {
        if (double.IsNaN(weight)) throw new InvalidOperationException("internal error: a probability is not a number");
        return (float)Math.Max(Math.Log10(weight), BackoffLanguageModel.ImpossibleLogProbability);
    }
}
