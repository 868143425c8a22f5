using System.Numerics;
using System.Runtime.CompilerServices;

namespace CustomModels.Speech.LanguageModel;

/// <summary>The n-grams of one order, sorted, with their (raw or adjusted) counts.</summary>
/// <param name="suffixIndexes">
/// For each n-gram, the index of its last n − 1 words among the n-grams of the order below
/// (what interpolation looks up); null for unigrams and for raw counts.
/// </param>
/// <param name="occurrences">
/// How often each n-gram occurs in the text (at most <see cref="int.MaxValue"/>), for the orders
/// whose <paramref name="counts"/> are continuation counts (those between the unigrams and the
/// highest order); null where the counts are the raw ones, and for unigrams, which are never pruned.
/// </param>
/// <param name="contextTotals">
/// For each n-gram, the sum of the adjusted counts of all the n-grams of the order above whose
/// context it is, when the order above holds only some of them (<see cref="StreamedAdjustCounts"/>);
/// null when the order above is whole and its counts are summed.
/// </param>
internal sealed class OrderCounts<TKey>(int order, TKey[] keys, long[] counts, int[]? suffixIndexes = null, int[]? occurrences = null,
    long[]? contextTotals = null)
{
    public int Order { get; } = order;
    public TKey[] Keys { get; private set; } = keys;
    public long[] Counts { get; private set; } = counts;
    public int[]? SuffixIndexes { get; private set; } = suffixIndexes;
    public int[]? Occurrences { get; private set; } = occurrences;
    public long[]? ContextTotals { get; private set; } = contextTotals;

    /// <summary>How often n-gram <paramref name="index"/> occurs in the text (order 2 and up; the highest order's counts are these).</summary>
    public long OccurrencesOf(int index) => Occurrences is { } occurrences ? occurrences[index] : Counts[index];

    // The stages after counting each need only some of these arrays; releasing each as soon as
    // its last reader is done keeps a large model's peak memory near the size of the model itself.
    public void ReleaseCounts()
    {
        Counts = [];
        Occurrences = null;
    }

    public void ReleaseSuffixIndexes() => SuffixIndexes = null;

    public void ReleaseKeys()
    {
        Keys = [];
        ContextTotals = null;
    }

    public CountsOfCounts CountsOfCounts()
    {
        var n = new long[5];
        foreach (var count in Counts) CountsOfCountsCounting(n, count);
        return Counted(n);
    }

    /// <summary>Counts <paramref name="count"/> in <paramref name="n"/> (index 1 to 4; others are not counted).</summary>
    public static void CountsOfCountsCounting(long[] n, long count)
    {
        if (count is >= 1 and <= 4) n[(int)count]++;
    }

    public static CountsOfCounts Counted(long[] n) => new(n[1], n[2], n[3], n[4]);
}

/// <summary>
/// Stage 2: Kneser-Ney adjusted counts. Highest order: raw counts. Lower orders: the number
/// of distinct words seen before the n-gram (its continuation count), except n-grams that
/// start with &lt;s&gt;, which keep their raw counts. &lt;unk&gt; and &lt;s&gt; are unigrams of count 0.
/// Input: the raw counts of <see cref="CorpusCount.CountNGrams{TKey}"/>.
/// Output: every order sorted by key, so contexts are contiguous, and each n-gram's suffix index.
/// </summary>
internal static class AdjustCounts
{
    public static OrderCounts<TKey>[] Run<TKey>(OrderCounts<TKey>[] raw, int vocabularySize, EstimationKey<TKey> key, Parallelism parallelism)
        where TKey : unmanaged, IBinaryInteger<TKey>, IUnsignedNumber<TKey>
    {
        var order = raw.Length;
        var result = new OrderCounts<TKey>[order];
        var above = raw[order - 1];
        for (var n = order - 1; n >= 1; n--)
        {
            var (lower, suffixIndexes) = n == 1 ? Unigrams(above, vocabularySize, key) : Continuations(above, raw[n - 1], key, parallelism);
            result[n] = new OrderCounts<TKey>(n + 1, above.Keys, above.Counts, suffixIndexes, above.Occurrences);
            above = lower;
        }
        result[0] = above;
        return result;
    }

    /// <summary>
    /// The n-grams of order n: the "&lt;s&gt; …" ones with their raw counts, then each distinct suffix of
    /// the (n+1)-grams counted once per (n+1)-gram; and how often each occurs, for pruning: a
    /// "&lt;s&gt; …" n-gram's raw count, a suffix's the sum of its (n+1)-grams' (every occurrence of an
    /// n-gram not starting with &lt;s&gt; has a word before it). The two sets never meet (nothing precedes &lt;s&gt;,
    /// so no suffix starts with it), and every "&lt;s&gt; …" key is smaller than any suffix, so the
    /// result is sorted once the suffixes are. Each suffix is sorted together with the position of
    /// its (n+1)-gram, packed into one key when both fit (a trigram model of a vocabulary under a
    /// million words, up to half a billion trigrams): one array and its sorting copy instead of two
    /// of each, the stage's peak being what bounds a large model's memory.
    /// </summary>
    private static (OrderCounts<TKey> Lower, int[] SuffixIndexes) Continuations<TKey>(OrderCounts<TKey> above, OrderCounts<TKey> sentenceStarts, EstimationKey<TKey> key, Parallelism parallelism)
        where TKey : unmanaged, IBinaryInteger<TKey>, IUnsignedNumber<TKey>
    {
        var n = above.Order - 1;
        var length = above.Keys.Length;
        var suffixBits = n * key.BitsPerWord;
        var positionBits = Math.Max(1, 32 - BitOperations.LeadingZeroCount((uint)length));
        var packed = suffixBits + positionBits <= TKey.AllBitsSet.GetByteCount() * 8;
        var suffixes = new TKey[length];
        var positions = packed ? null : new int[length];
        for (var i = 0; i < length; i++)
        {
            var suffix = key.Suffix(above.Keys[i], n);
            if (packed) suffixes[i] = (suffix << positionBits) | TKey.CreateTruncating(i);
            else (suffixes[i], positions![i]) = (suffix, i);
        }
        RadixSort.Sort(suffixes, positions, length, packed ? suffixBits + positionBits : suffixBits, parallelism);
        ReleasedArrays.Reclaim((long)length * (Unsafe.SizeOf<TKey>() + (packed ? 0 : sizeof(int)))); // the sort's copies
        var shift = packed ? positionBits : 0;
        var positionMask = (TKey.One << positionBits) - TKey.One;

        var distinct = 0;
        for (var i = 0; i < length; i++)
        {
            if (i == 0 || suffixes[i] >> shift != suffixes[i - 1] >> shift) distinct++;
        }
        var first = sentenceStarts.Keys.Length;
        var keys = new TKey[first + distinct];
        var counts = new long[first + distinct];
        sentenceStarts.Keys.CopyTo(keys, 0);
        sentenceStarts.Counts.CopyTo(counts, 0);
        var occurrences = new int[first + distinct];
        for (var i = 0; i < first; i++) occurrences[i] = Saturated(sentenceStarts.Counts[i]);
        var suffixIndexes = new int[length];
        var d = first - 1;
        for (var i = 0; i < length; i++)
        {
            var suffix = suffixes[i] >> shift;
            if (i == 0 || suffix != suffixes[i - 1] >> shift) keys[++d] = suffix;
            counts[d]++;
            var position = packed ? int.CreateTruncating(suffixes[i] & positionMask) : positions![i];
            occurrences[d] = Saturated(occurrences[d] + above.OccurrencesOf(position));
            suffixIndexes[position] = d;
        }
        if (first > 0 && distinct > 0 && keys[first - 1] >= keys[first])
            throw new InvalidOperationException($"internal error: a {n}-gram suffix sorts before an n-gram starting with <s>");
        suffixes = null;
        positions = null;
        ReleasedArrays.Reclaim((long)length * (Unsafe.SizeOf<TKey>() + (packed ? 0 : sizeof(int))));
        return (new OrderCounts<TKey>(n, keys, counts, occurrences: occurrences), suffixIndexes);
    }

    /// <summary>Pruning compares occurrences with small thresholds: a count beyond an int's range is as good as the largest int.</summary>
    internal static int Saturated(long count) => (int)Math.Min(count, int.MaxValue);

    /// <summary>Every word of the vocabulary is a unigram, its key its id, so counting needs no sort.</summary>
    private static (OrderCounts<TKey> Lower, int[] SuffixIndexes) Unigrams<TKey>(OrderCounts<TKey> bigrams, int vocabularySize, EstimationKey<TKey> key)
        where TKey : unmanaged, IBinaryInteger<TKey>, IUnsignedNumber<TKey>
    {
        var keys = new TKey[vocabularySize];
        for (var id = 0; id < vocabularySize; id++) keys[id] = TKey.CreateTruncating(id);
        var counts = new long[vocabularySize]; // <unk> and <s> end no bigram: count 0
        var suffixIndexes = new int[bigrams.Keys.Length];
        for (var i = 0; i < suffixIndexes.Length; i++)
        {
            var last = key.LastWord(bigrams.Keys[i]);
            counts[last]++;
            suffixIndexes[i] = last;
        }
        return (new OrderCounts<TKey>(1, keys, counts), suffixIndexes);
    }
}
