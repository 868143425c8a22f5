using System.Numerics;

namespace CustomModels.Speech.LanguageModel;

/// <summary>
/// Stage 4: interpolation, lowest order first:
/// p(w) = u(w) + γ(ε) / |V| with |V| the vocabulary including &lt;unk&gt; and excluding &lt;s&gt;
/// (so &lt;unk&gt;, never seen, gets exactly the uniform share), and
/// p(w | c) = u(w | c) + γ(c) p(w | c without its first word).
/// Each n-gram that is a context of the order above gets γ as its backoff weight: for a word
/// not seen after c the formula leaves γ(c) p(w | shorter c), which is exactly what a backoff
/// model computes, so the ARPA model is the interpolated model. &lt;s&gt; is only ever a context:
/// its probability is written as −99, as in SRILM's ARPA files.
/// Consumes its input: each array is released once read for the last time.
/// </summary>
internal static class Interpolate
{
    private const int ChunkSize = 1 << 16;

    public static BackoffLanguageModel Run<TKey>(string[] vocabulary, OrderCounts<TKey>[] counts, UninterpolatedOrder<TKey>[] initial, EstimationKey<TKey> key, Parallelism parallelism)
        where TKey : unmanaged, IBinaryInteger<TKey>, IUnsignedNumber<TKey>
    {
        var order = counts.Length;
        var probabilities = new double[order][];
        var sections = new NGramSection[order];

        var uniform = 1.0 / (vocabulary.Length - 1);
        var unigramProbabilities = new double[counts[0].Keys.Length];
        for (var i = 0; i < unigramProbabilities.Length; i++)
        {
            unigramProbabilities[i] = initial[0].Probabilities[i] + initial[0].ContextGammas[i] * uniform;
        }
        probabilities[0] = unigramProbabilities;
        initial[0].ReleaseProbabilities();

        for (var n = 2; n <= order; n++)
        {
            var suffixIndexes = counts[n - 1].SuffixIndexes!;
            var lower = probabilities[n - 2];
            var current = new double[suffixIndexes.Length];
            for (var i = 0; i < current.Length; i++)
            {
                current[i] = initial[n - 1].Probabilities[i] + initial[n - 1].ContextGammas[i] * lower[suffixIndexes[i]];
            }
            probabilities[n - 1] = current;
            initial[n - 1].ReleaseProbabilities();
            counts[n - 1].ReleaseSuffixIndexes();
        }

        for (var n = 1; n <= order; n++)
        {
            var keys = counts[n - 1].Keys;
            var current = probabilities[n - 1];
            var logProbabilities = new float[keys.Length];
            var packed = new UInt128[keys.Length];
            var length = n;
            // Logarithms and the model's key packing are most of this stage's work: shared between cores.
            parallelism.For(0, (keys.Length + ChunkSize - 1) / ChunkSize, chunk =>
            {
                for (var i = chunk * ChunkSize; i < Math.Min(keys.Length, (chunk + 1) * ChunkSize); i++)
                {
                    logProbabilities[i] = LogProbability(current[i]);
                    packed[i] = key.ToPackedNGram(keys[i], length);
                }
            });
            // No n-gram ends in <s>, so no higher order depends on its unigram probability.
            if (n == 1) logProbabilities[CorpusCount.SentenceStartId] = BackoffLanguageModel.ImpossibleLogProbability; // unigram index = word id

            float[]? logBackoffs = null;
            if (n < order)
            {
                logBackoffs = new float[keys.Length]; // 0: not a context, nothing to back off from
                var above = initial[n];
                // The contexts are sorted like the keys, so one forward walk finds them all.
                var index = 0;
                for (var c = 0; c < above.Contexts.Length; c++)
                {
                    while (index < keys.Length && keys[index] < above.Contexts[c]) index++;
                    if (index == keys.Length || keys[index] != above.Contexts[c])
                        throw new InvalidOperationException($"internal error: a {n + 1}-gram context is not a {n}-gram");
                    logBackoffs[index] = LogWeight(above.Gammas[c]);
                }
            }
            sections[n - 1] = new NGramSection(packed, logProbabilities, logBackoffs);
            probabilities[n - 1] = null!;
            counts[n - 1].ReleaseKeys();
        }
        return new BackoffLanguageModel(vocabulary, sections);
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
