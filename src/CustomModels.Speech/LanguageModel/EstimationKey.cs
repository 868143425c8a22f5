using System.Numerics;

namespace CustomModels.Speech.LanguageModel;

/// <summary>
/// How estimation packs n-grams: like <see cref="PackedNGram"/> (first word in the highest
/// bits, so numeric order is the order of the id tuples and an n-gram's context is a shift
/// away) but with only as many bits per word as the vocabulary needs. A trigram model of a
/// vocabulary under 2 million words then fits 64-bit keys, which sort and compare several
/// times faster than 128-bit ones; larger models use <see cref="UInt128"/> keys.
/// </summary>
internal readonly struct EstimationKey<TKey> where TKey : unmanaged, IBinaryInteger<TKey>, IUnsignedNumber<TKey>
{
    private readonly TKey _wordMask;

    public EstimationKey(int bitsPerWord)
    {
        BitsPerWord = bitsPerWord;
        _wordMask = (TKey.One << bitsPerWord) - TKey.One;
    }

    public int BitsPerWord { get; }

    /// <summary>Whether n-grams of <paramref name="order"/> words, each below <paramref name="vocabularySize"/>, fit this key type.</summary>
    public static bool Fits(int order, int vocabularySize) => order * BitsFor(vocabularySize) <= TKey.AllBitsSet.GetByteCount() * 8;

    /// <summary>Bits needed for the ids 0 … <paramref name="vocabularySize"/> − 1.</summary>
    public static int BitsFor(int vocabularySize) => Math.Max(1, 32 - BitOperations.LeadingZeroCount((uint)(vocabularySize - 1)));

    public TKey Append(TKey ngram, int word) => (ngram << BitsPerWord) | TKey.CreateTruncating(word);

    /// <summary>
    /// The next n-gram of <paramref name="length"/> words keyed last word first (the order of its
    /// words reversed): <paramref name="word"/> goes in the highest bits and the oldest word drops out.
    /// Sorted so, the n-grams that share their last n − 1 words lie together.
    /// </summary>
    public TKey AppendLastWordFirst(TKey reversed, int word, int length) =>
        (reversed >> BitsPerWord) | (TKey.CreateTruncating(word) << ((length - 1) * BitsPerWord));

    /// <summary>An n-gram of <paramref name="length"/> words with the order of its words reversed (either way).</summary>
    public TKey Reversed(TKey ngram, int length)
    {
        var reversed = TKey.Zero;
        for (var i = 0; i < length; i++)
        {
            reversed = (reversed << BitsPerWord) | (ngram & _wordMask);
            ngram >>= BitsPerWord;
        }
        return reversed;
    }

    /// <summary>All but the last word.</summary>
    public TKey Context(TKey ngram) => ngram >> BitsPerWord;

    /// <summary>The last <paramref name="length"/> words.</summary>
    public TKey Suffix(TKey ngram, int length) => ngram & Mask(length);

    /// <summary>Bits set where an n-gram of <paramref name="length"/> words lies.</summary>
    public TKey Mask(int length) => length * BitsPerWord >= TKey.AllBitsSet.GetByteCount() * 8
        ? TKey.AllBitsSet
        : (TKey.One << (length * BitsPerWord)) - TKey.One;

    public int LastWord(TKey ngram) => int.CreateTruncating(ngram & _wordMask);

    /// <summary>The first index in [<paramref name="from"/>, <paramref name="to"/>) of sorted <paramref name="keys"/> whose key is not below <paramref name="value"/>.</summary>
    public static int LowerBound(TKey[] keys, int from, int to, TKey value)
    {
        while (from < to)
        {
            var middle = from + ((to - from) >> 1);
            if (keys[middle] < value) from = middle + 1;
            else to = middle;
        }
        return from;
    }

    /// <summary>The same n-gram of <paramref name="length"/> words as the model stores it.</summary>
    public UInt128 ToPackedNGram(TKey ngram, int length)
    {
        UInt128 packed = 0;
        for (var shift = (length - 1) * BitsPerWord; shift >= 0; shift -= BitsPerWord)
            packed = PackedNGram.Append(packed, int.CreateTruncating((ngram >> shift) & _wordMask));
        return packed;
    }
}
