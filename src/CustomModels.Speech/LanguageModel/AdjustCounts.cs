using System.Runtime.InteropServices;

namespace CustomModels.Speech.LanguageModel;

/// <summary>The n-grams of one order, sorted, with their (adjusted) counts.</summary>
internal sealed class OrderCounts(int order, UInt128[] keys, long[] counts)
{
    public int Order { get; } = order;
    public UInt128[] Keys { get; } = keys;
    public long[] Counts { get; } = counts;

    public CountsOfCounts CountsOfCounts()
    {
        Span<long> n = stackalloc long[5];
        foreach (var count in Counts)
        {
            if (count is >= 1 and <= 4) n[(int)count]++;
        }
        return new CountsOfCounts(n[1], n[2], n[3], n[4]);
    }
}

/// <summary>
/// Stage 2: Kneser-Ney adjusted counts. Highest order: raw counts. Lower orders: the number
/// of distinct words seen before the n-gram (its continuation count), except n-grams that
/// start with &lt;s&gt;, which keep their raw counts. &lt;unk&gt; and &lt;s&gt; are unigrams of count 0.
/// Output: every order sorted by packed key, so contexts are contiguous.
/// </summary>
internal static class AdjustCounts
{
    public static OrderCounts[] Run(CorpusCount corpus)
    {
        var order = corpus.Counts.Length;
        var result = new OrderCounts[order];
        result[order - 1] = Sorted(order, corpus.Counts[order - 1]);
        for (var n = order - 1; n >= 1; n--)
        {
            // Starts with the raw counts of "<s> …" n-grams; each distinct (n+1)-gram adds one to its suffix.
            var counts = corpus.Counts[n - 1];
            foreach (var key in result[n].Keys)
            {
                CollectionsMarshal.GetValueRefOrAddDefault(counts, PackedNGram.Suffix(key, n), out _)++;
            }
            if (n == 1)
            {
                counts.TryAdd(CorpusCount.UnknownId, 0);
                counts.TryAdd(CorpusCount.SentenceStartId, 0);
            }
            result[n - 1] = Sorted(n, counts);
        }
        return result;
    }

    private static OrderCounts Sorted(int order, Dictionary<UInt128, long> counts)
    {
        var keys = new UInt128[counts.Count];
        var values = new long[counts.Count];
        var i = 0;
        foreach (var (key, count) in counts)
        {
            keys[i] = key;
            values[i] = count;
            i++;
        }
        counts.Clear(); // the arrays replace it; let the memory go
        counts.TrimExcess();
        Array.Sort(keys, values);
        return new OrderCounts(order, keys, values);
    }
}
