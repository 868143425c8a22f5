using System.Numerics;

namespace CustomModels.Speech.LanguageModel;

/// <summary>One order of a model being estimated, as <see cref="Interpolate"/> hands it on: written, kept whole, or kept in part.</summary>
internal abstract class EstimatedSection : IArpaSection
{
    public abstract int Order { get; }

    public abstract int Count { get; }

    public abstract float LogProbability(int index);

    public abstract float LogBackoff(int index);

    public abstract void Words(int index, Span<int> ids);

    /// <summary>The order as the model holds it.</summary>
    public abstract NGramSection ToModelSection(Parallelism parallelism);

    /// <summary>Only the n-grams in <paramref name="wanted"/>, as the model holds them.</summary>
    public abstract NGramSection ToModelSection(IReadOnlySet<UInt128> wanted);
}

/// <param name="Keys">Sorted estimation keys.</param>
/// <param name="LogBackoffs">Null for the highest order.</param>
internal sealed class EstimatedSection<TKey>(int order, TKey[] keys, float[] logProbabilities, float[]? logBackoffs, EstimationKey<TKey> key)
    : EstimatedSection where TKey : unmanaged, IBinaryInteger<TKey>, IUnsignedNumber<TKey>
{
    private const int ChunkSize = 1 << 16;

    public override int Order => order;

    public override int Count => keys.Length;

    public override float LogProbability(int index) => logProbabilities[index];

    public override float LogBackoff(int index) => logBackoffs?[index] ?? 0;

    public override void Words(int index, Span<int> ids)
    {
        var ngram = keys[index];
        for (var i = ids.Length - 1; i >= 0; i--)
        {
            ids[i] = key.LastWord(ngram);
            ngram = key.Context(ngram);
        }
    }

    /// <summary>This order without the n-grams <paramref name="kept"/> says are pruned (all of it when null).</summary>
    public EstimatedSection<TKey> Only(bool[]? kept)
    {
        if (kept is null) return this;
        var count = kept.Count(k => k);
        var keptKeys = new TKey[count];
        var keptLogProbabilities = new float[count];
        var keptLogBackoffs = logBackoffs is null ? null : new float[count];
        var next = 0;
        for (var i = 0; i < kept.Length; i++)
        {
            if (!kept[i]) continue;
            keptKeys[next] = keys[i];
            keptLogProbabilities[next] = logProbabilities[i];
            if (keptLogBackoffs is not null) keptLogBackoffs[next] = logBackoffs![i];
            next++;
        }
        return new EstimatedSection<TKey>(order, keptKeys, keptLogProbabilities, keptLogBackoffs, key);
    }

    public override NGramSection ToModelSection(Parallelism parallelism)
    {
        var packed = new UInt128[keys.Length];
        // The model's key packing is a good part of building it: shared between cores.
        parallelism.For(0, (keys.Length + ChunkSize - 1) / ChunkSize, chunk =>
        {
            for (var i = chunk * ChunkSize; i < Math.Min(keys.Length, (chunk + 1) * ChunkSize); i++)
                packed[i] = key.ToPackedNGram(keys[i], order);
        });
        return new NGramSection(packed, logProbabilities, logBackoffs);
    }

    public override NGramSection ToModelSection(IReadOnlySet<UInt128> wanted)
    {
        var packed = new List<UInt128>();
        var keptLogProbabilities = new List<float>();
        var keptLogBackoffs = logBackoffs is null ? null : new List<float>();
        for (var i = 0; i < keys.Length; i++)
        {
            var ngram = key.ToPackedNGram(keys[i], order);
            if (!wanted.Contains(ngram)) continue;
            packed.Add(ngram);
            keptLogProbabilities.Add(logProbabilities[i]);
            keptLogBackoffs?.Add(logBackoffs![i]);
        }
        return new NGramSection(packed.ToArray(), keptLogProbabilities.ToArray(), keptLogBackoffs?.ToArray());
    }
}
