using System.Numerics;

namespace CustomModels.Speech.LanguageModel;

/// <summary>
/// Radix sort of packed n-gram keys: a few linear passes over the array instead of a comparison
/// sort's n log n comparisons of multi-word keys; the counting and adjusting stages sort every
/// n-gram occurrence of the corpus, so this is where they spend their time.
/// Least significant digit first (stable, which is what lets the passes build on each other);
/// on more than one core a pass on the most significant digit goes first, cutting the keys into
/// two ranges that are then sorted at the same time.
/// </summary>
internal static class RadixSort
{
    /// <summary>11 bits: 2,048 buckets, whose counters stay in the first-level cache.</summary>
    private const int DigitBits = 11;

    private const int Buckets = 1 << DigitBits;

    /// <summary>Below this many keys, sharing the work costs more than it saves.</summary>
    private const int MinParallelLength = 1 << 16;

    /// <summary>
    /// Sorts the first <paramref name="length"/> <paramref name="keys"/>, whose values use only the
    /// low <paramref name="keyBits"/> bits, and moves <paramref name="payload"/> (null, or as long) along with them.
    /// </summary>
    public static void Sort<TKey>(TKey[] keys, int[]? payload, int length, int keyBits, Parallelism parallelism)
        where TKey : unmanaged, IBinaryInteger<TKey>, IUnsignedNumber<TKey>
    {
        var digits = (keyBits + DigitBits - 1) / DigitBits;
        var keyBuffer = new TKey[length];
        var payloadBuffer = payload is null ? null : new int[length];
        if (!parallelism.IsParallel || digits < 2 || length < MinParallelLength)
        {
            SortRange(keys, payload, keyBuffer, payloadBuffer, 0, length, digits);
            return;
        }

        // Bucket by the top digit; the buckets are in order, so the ranges on either side of the
        // bucket boundary nearest the middle sort independently. Each range still needs its top
        // digit sorted last (the range holds several buckets), a pass that costs little as the
        // keys are already in place.
        var top = digits - 1;
        var offsets = new int[Buckets + 1];
        for (var i = 0; i < length; i++) offsets[Digit(keys[i], top) + 1]++;
        for (var b = 1; b <= Buckets; b++) offsets[b] += offsets[b - 1];
        var middle = offsets.MinBy(offset => Math.Abs(offset - length / 2));
        var next = (int[])offsets.Clone();
        for (var i = 0; i < length; i++)
        {
            var target = next[Digit(keys[i], top)]++;
            keyBuffer[target] = keys[i];
            if (payload is not null) payloadBuffer![target] = payload[i];
        }
        Array.Copy(keyBuffer, keys, length);
        if (payload is not null) Array.Copy(payloadBuffer!, payload, length);

        parallelism.Invoke(
            () => SortRange(keys, payload, keyBuffer, payloadBuffer, 0, middle, digits),
            () => SortRange(keys, payload, keyBuffer, payloadBuffer, middle, length - middle, digits));
    }

    /// <summary>Sorts keys[start .. start + length] by their low <paramref name="digits"/> digits, with the same range of the buffers as scratch.</summary>
    private static void SortRange<TKey>(TKey[] keys, int[]? payload, TKey[] keyBuffer, int[]? payloadBuffer, int start, int length, int digits)
        where TKey : unmanaged, IBinaryInteger<TKey>, IUnsignedNumber<TKey>
    {
        if (length < 2) return;

        // All digits' histograms in one read of the keys.
        var histograms = new int[digits * Buckets];
        for (var i = start; i < start + length; i++)
        {
            for (var d = 0; d < digits; d++) histograms[d * Buckets + Digit(keys[i], d)]++;
        }

        var (from, to) = (keys, keyBuffer);
        var (fromPayload, toPayload) = (payload, payloadBuffer);
        var offsets = new int[Buckets];
        for (var d = 0; d < digits; d++)
        {
            var histogram = histograms.AsSpan(d * Buckets, Buckets);
            if (histogram.Contains(length)) continue; // every key has the same digit: nothing to move

            var sum = start;
            for (var b = 0; b < Buckets; b++)
            {
                offsets[b] = sum;
                sum += histogram[b];
            }
            for (var i = start; i < start + length; i++)
            {
                var target = offsets[Digit(from[i], d)]++;
                to[target] = from[i];
                if (fromPayload is not null) toPayload![target] = fromPayload[i];
            }
            (from, to) = (to, from);
            (fromPayload, toPayload) = (toPayload, fromPayload);
        }

        // After an odd number of moves the sorted keys are in the buffer.
        if (from != keys)
        {
            Array.Copy(from, start, keys, start, length);
            if (payload is not null) Array.Copy(fromPayload!, start, payload, start, length);
        }
    }

    private static int Digit<TKey>(TKey key, int digit) where TKey : unmanaged, IBinaryInteger<TKey>, IUnsignedNumber<TKey> =>
        int.CreateTruncating(key >> (digit * DigitBits)) & (Buckets - 1);
}
