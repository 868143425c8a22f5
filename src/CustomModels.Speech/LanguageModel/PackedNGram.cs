namespace CustomModels.Speech.LanguageModel;

/// <summary>
/// An n-gram of word ids packed into one 128-bit integer, first word in the highest bits, so
/// that n-grams are hash keys and sort keys without a string or array each; numeric order is
/// the order of the id tuples, and all n-grams sharing a context sit next to each other.
/// </summary>
internal static class PackedNGram
{
    public const int BitsPerWord = 25;
    public const int MaxOrder = 5; // 5 × 25 bits fit in 128
    public const int MaxVocabularySize = 1 << BitsPerWord;

    private const int WordMask = (1 << BitsPerWord) - 1;

    public static UInt128 Append(UInt128 ngram, int word) => (ngram << BitsPerWord) | (uint)word;

    public static UInt128 Pack(ReadOnlySpan<int> words)
    {
        UInt128 key = 0;
        foreach (var word in words) key = Append(key, word);
        return key;
    }

    /// <summary>
    /// Index of <paramref name="key"/> in sorted <paramref name="keys"/>, or −1. Array.BinarySearch
    /// does the same through a generic comparer, several times slower on 128-bit keys.
    /// </summary>
    public static int IndexOf(ReadOnlySpan<UInt128> keys, UInt128 key)
    {
        int low = 0, high = keys.Length - 1;
        while (low <= high)
        {
            var middle = low + ((high - low) >> 1);
            var probe = keys[middle];
            if (probe == key) return middle;
            if (probe < key) low = middle + 1;
            else high = middle - 1;
        }
        return -1;
    }

    public static void Unpack(UInt128 ngram, Span<int> words)
    {
        for (var i = words.Length - 1; i >= 0; i--)
        {
            words[i] = (int)(ngram & WordMask);
            ngram >>= BitsPerWord;
        }
    }
}
