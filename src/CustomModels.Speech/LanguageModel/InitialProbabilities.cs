using System.Numerics;

namespace CustomModels.Speech.LanguageModel;

/// <summary>The uninterpolated probabilities of one order and the interpolation weight of each context.</summary>
internal sealed class UninterpolatedOrder<TKey>(double[] probabilities, double[] contextGammas, TKey[] contexts, double[] gammas)
{
    /// <summary>u(w | context) for each n-gram, parallel to <see cref="OrderCounts{TKey}.Keys"/>.</summary>
    public double[] Probabilities { get; private set; } = probabilities;

    /// <summary>γ(context) of each n-gram's context, parallel to <see cref="OrderCounts{TKey}.Keys"/>.</summary>
    public double[] ContextGammas { get; private set; } = contextGammas;

    /// <summary>Once the interpolated probabilities are computed, only the contexts' γ are still read.</summary>
    public void ReleaseProbabilities() => (Probabilities, ContextGammas) = ([], []);

    /// <summary>Every distinct context of this order, sorted, with its γ: the backoffs of the order below.</summary>
    public TKey[] Contexts { get; } = contexts;

    public double[] Gammas { get; } = gammas;
}

/// <summary>
/// Stage 3: for each context c of an order with adjusted counts a(c w),
/// u(w | c) = (a(c w) − D(a(c w))) / Σ_w a(c w) and
/// γ(c) = (D1 N1(c) + D2 N2(c) + D3+ N3+(c)) / Σ_w a(c w),
/// where Nk(c) is how many words follow c with adjusted count k (3 or more for N3+):
/// the mass the discounts took, handed to the lower order. Unigrams have the empty context.
/// </summary>
internal static class InitialProbabilities
{
    public static UninterpolatedOrder<TKey> Run<TKey>(OrderCounts<TKey> order, KneserNeyDiscount discount, EstimationKey<TKey> key)
        where TKey : unmanaged, IBinaryInteger<TKey>, IUnsignedNumber<TKey>
    {
        var keys = order.Keys;
        var counts = order.Counts;
        var probabilities = new double[keys.Length];
        var contextGammas = new double[keys.Length];
        var contexts = new List<TKey>();
        var gammas = new List<double>();

        Span<long> followers = stackalloc long[4]; // index 1, 2, 3 = N1, N2, N3+ of one context

        // Keys are sorted with the context in the high bits, so each context is one run.
        for (var start = 0; start < keys.Length;)
        {
            var context = key.Context(keys[start]);
            var end = start;
            long denominator = 0;
            followers.Clear();
            for (; end < keys.Length && key.Context(keys[end]) == context; end++)
            {
                denominator += counts[end];
                if (counts[end] > 0) followers[(int)Math.Min(counts[end], 3)]++;
            }

            var gamma = (discount.D1 * followers[1] + discount.D2 * followers[2] + discount.D3Plus * followers[3]) / denominator;
            for (var i = start; i < end; i++)
            {
                probabilities[i] = (counts[i] - discount.For(counts[i])) / denominator;
                contextGammas[i] = gamma;
            }
            contexts.Add(context);
            gammas.Add(gamma);
            start = end;
        }
        return new UninterpolatedOrder<TKey>(probabilities, contextGammas, contexts.ToArray(), gammas.ToArray());
    }
}
