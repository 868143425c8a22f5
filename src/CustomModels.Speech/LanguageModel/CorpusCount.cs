using System.Numerics;
using System.Text;
using CustomModels.Speech.Text;

namespace CustomModels.Speech.LanguageModel;

/// <summary>
/// Stage 1 of estimation: the vocabulary and the raw n-gram counts.
/// Input: lines of text, one sentence a line, normalized here with <see cref="TranscriptNormalizer"/>;
/// lines with no words are skipped (a blank line is not a sentence to learn from).
/// Output: word ids (&lt;unk&gt; 0, &lt;s&gt; 1, &lt;/s&gt; 2, then the words in ordinal order, so that
/// sorting by id sorts alphabetically), the corpus as ids, and (<see cref="CountNGrams{TKey}"/>)
/// per order, the raw counts of the n-grams that end at
/// each position of "&lt;s&gt; w1 … wm &lt;/s&gt;": those of the highest order, and the shorter ones cut
/// off by the sentence start ("&lt;s&gt; w1" for a trigram model), which keep raw counts in
/// Kneser-Ney because nothing can precede &lt;s&gt;.
/// </summary>
internal sealed class CorpusCount
{
    public const int UnknownId = 0;
    public const int SentenceStartId = 1;
    public const int SentenceEndId = 2;

    private CorpusCount(string[] vocabulary, int[] tokens, int[] sentenceLengths, int order)
    {
        Vocabulary = vocabulary;
        Tokens = tokens;
        SentenceLengths = sentenceLengths;
        Order = order;
    }

    public string[] Vocabulary { get; }

    /// <summary>The word ids of every sentence, one after the other.</summary>
    public int[] Tokens { get; }

    public int[] SentenceLengths { get; }

    public int Order { get; }

    public long Sentences => SentenceLengths.Length;

    public long Words => Tokens.Length;

    public static CorpusCount Run(IEnumerable<string> lines, int order)
    {
        var tokens = new FirstPass();
        foreach (var line in lines) tokens.AddSentence(TranscriptNormalizer.Words(line));
        return Run(tokens, order);
    }

    /// <summary>Sentences already split into tokens, counted as they are (no normalization): a graphone corpus.</summary>
    public static CorpusCount RunTokens(IEnumerable<IReadOnlyList<string>> sentences, int order)
    {
        var tokens = new FirstPass();
        foreach (var sentence in sentences) tokens.AddSentence(sentence);
        return Run(tokens, order);
    }

    /// <summary>As <see cref="Run(IEnumerable{string}, int)"/> on the lines of UTF-8 text, with the same result.</summary>
    /// <exception cref="TranscriptEncodingException">The text is not UTF-8.</exception>
    public static CorpusCount Run(Stream utf8Text, int order, Parallelism parallelism)
    {
        var remaining = utf8Text.CanSeek ? utf8Text.Length - utf8Text.Position : -1;
        if (!parallelism.IsParallel || remaining is < MinParallelBytes or > MaxParallelBytes)
        {
            var tokens = new FirstPass();
            tokens.AddLines(utf8Text, 0);
            return Run(tokens, order);
        }

        // Two halves, cut at a line end, counted at the same time; sentences are independent
        // and the final ids are sorted, so counting them apart and merging gives the same result.
        var text = new byte[remaining];
        utf8Text.ReadExactly(text);
        var cut = text.AsSpan(text.Length / 2).IndexOf((byte)'\n');
        cut = cut < 0 ? text.Length : text.Length / 2 + cut + 1;
        var (first, second) = (new FirstPass(), new FirstPass());
        Exception? firstError = null, secondError = null;
        parallelism.Invoke(
            () => firstError = Capture(() => first.AddLines(new MemoryStream(text, 0, cut), 0)),
            () => secondError = Capture(() => second.AddLines(new MemoryStream(text, cut, text.Length - cut), cut)));
        // The error of the earlier half is the one a single pass would have met.
        if ((firstError ?? secondError) is { } error) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        first.Append(second);
        return Run(first, order);
    }

    /// <summary>Below this, a second thread costs more than it saves.</summary>
    internal const long MinParallelBytes = 1 << 20;

    /// <summary>Counting halves reads the text whole; above this, the text is streamed on one thread instead.</summary>
    private const long MaxParallelBytes = 1L << 28;

    private static Exception? Capture(Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    /// <summary>Pass 1: words to ids in order of appearance; the corpus kept as one array of ids.</summary>
    private sealed class FirstPass
    {
        public readonly Utf8WordTable WordIds = new();
        public readonly List<int> Ids = [];
        public readonly List<int> SentenceLengths = [];
        private byte[] _word = new byte[64];
        private int[] _wordBounds = new int[256];

        /// <summary>
        /// Most lines of a corpus are plain ASCII words: those are split and looked up from their
        /// bytes, without a string per line or word; any other line takes the string path.
        /// </summary>
        /// <param name="offset">Offset of the stream's first byte in the text, for error messages.</param>
        public void AddLines(Stream utf8Text, long offset) =>
            TranscriptNormalizer.ForEachLine(utf8Text, (line, lineOffset) =>
            {
                if (!TryAddAsciiSentence(line)) AddSentence(TranscriptNormalizer.Words(TranscriptNormalizer.DecodeLine(line, offset + lineOffset)));
            });

        /// <summary>Adds the sentences of <paramref name="other"/>, its word ids translated to this table's.</summary>
        public void Append(FirstPass other)
        {
            var ids = other.WordIds.Words().Select(word => WordIds.IdOf(Encoding.UTF8.GetBytes(word))).ToArray();
            foreach (var id in other.Ids) Ids.Add(ids[id]);
            SentenceLengths.AddRange(other.SentenceLengths);
        }

        public void AddSentence(IReadOnlyList<string> words)
        {
            if (words.Count == 0) return;
            foreach (var word in words)
            {
                var length = Encoding.UTF8.GetMaxByteCount(word.Length);
                if (length > _word.Length) _word = new byte[length];
                length = Encoding.UTF8.GetBytes(word, _word);
                Ids.Add(WordIds.IdOf(_word.AsSpan(0, length)));
            }
            SentenceLengths.Add(words.Count);
        }

        /// <summary>
        /// Adds the line as a sentence if it is plain ASCII words (<see cref="TranscriptNormalizer.AsciiWordBounds"/>),
        /// lower-casing each word here; false if the line needs the string path.
        /// </summary>
        public bool TryAddAsciiSentence(ReadOnlySpan<byte> line)
        {
            if (_wordBounds.Length < line.Length + 1) _wordBounds = new int[(line.Length + 1) * 2];
            if (_word.Length < line.Length) _word = new byte[line.Length * 2];
            var count = TranscriptNormalizer.AsciiWordBounds(line, _wordBounds);
            if (count < 0) return false;
            if (count == 0) return true;
            for (var w = 0; w < count; w++)
            {
                var bytes = line[_wordBounds[2 * w].._wordBounds[2 * w + 1]];
                for (var i = 0; i < bytes.Length; i++) _word[i] = (byte)(bytes[i] is >= (byte)'A' and <= (byte)'Z' ? bytes[i] | 0x20 : bytes[i]);
                Ids.Add(WordIds.IdOf(_word.AsSpan(0, bytes.Length)));
            }
            SentenceLengths.Add(count);
            return true;
        }
    }

    private static CorpusCount Run(FirstPass pass1, int order)
    {
        var firstSeenWords = pass1.WordIds.Words();
        if (pass1.Ids.Count == 0) throw new InvalidDataException("the training text has no words (after normalization every line is empty)");
        if (firstSeenWords.Length + 3 > PackedNGram.MaxVocabularySize)
            throw new InvalidDataException($"the training text has {firstSeenWords.Length} distinct words; at most {PackedNGram.MaxVocabularySize - 3} are supported");

        // Final ids: specials first, then the words sorted, so sections come out sorted.
        var sorted = firstSeenWords;
        var sortedFirstSeenIds = Enumerable.Range(0, sorted.Length).ToArray();
        Array.Sort(sorted, sortedFirstSeenIds, StringComparer.Ordinal);
        var finalId = new int[sorted.Length];
        for (var i = 0; i < sorted.Length; i++) finalId[sortedFirstSeenIds[i]] = i + 3;
        var vocabulary = new string[sorted.Length + 3];
        vocabulary[UnknownId] = BackoffLanguageModel.Unknown;
        vocabulary[SentenceStartId] = BackoffLanguageModel.SentenceStart;
        vocabulary[SentenceEndId] = BackoffLanguageModel.SentenceEnd;
        sorted.CopyTo(vocabulary, 3);

        var tokens = pass1.Ids.ToArray();
        foreach (ref var id in tokens.AsSpan()) id = finalId[id];
        return new CorpusCount(vocabulary, tokens, pass1.SentenceLengths.ToArray(), order);
    }

    /// <summary>
    /// Pass 2: the n-gram ending at each position of every sentence, packed, sorted and counted.
    /// Index order − 1; the highest order holds every n-gram, lower orders only those starting with &lt;s&gt;.
    /// </summary>
    public OrderCounts<TKey>[] CountNGrams<TKey>(EstimationKey<TKey> key, Parallelism parallelism) where TKey : unmanaged, IBinaryInteger<TKey>, IUnsignedNumber<TKey>
    {
        // Each sentence of m words has m + 1 positions (its words and </s>); an n-gram shorter
        // than the order ends at most at one position of a sentence.
        var highest = new TKey[Tokens.Length + SentenceLengths.Length];
        var highestCount = 0;
        var shorter = new TKey[Order - 1][];
        var shorterCounts = new int[Order - 1];
        for (var n = 1; n < Order; n++) shorter[n - 1] = new TKey[SentenceLengths.Length];
        var fullMask = key.Mask(Order);

        var offset = 0;
        foreach (var length in SentenceLengths)
        {
            var ngram = TKey.CreateTruncating(SentenceStartId);
            for (var position = 1; position <= length + 1; position++)
            {
                var word = position <= length ? Tokens[offset + position - 1] : SentenceEndId;
                ngram = key.Append(ngram, word) & fullMask;
                if (position + 1 >= Order) highest[highestCount++] = ngram;
                else shorter[position][shorterCounts[position]++] = ngram;
            }
            offset += length;
        }

        var result = new OrderCounts<TKey>[Order];
        result[Order - 1] = Counted(Order, highest, highestCount, key, parallelism);
        for (var n = 2; n < Order; n++) result[n - 1] = Counted(n, shorter[n - 1], shorterCounts[n - 1], key, parallelism);
        result[0] = new OrderCounts<TKey>(1, [], []); // no unigram starts with <s> but <s> itself, which has no count
        return result;
    }

    /// <summary>The distinct n-grams of the first <paramref name="length"/> <paramref name="ngrams"/>, sorted, with how often each occurs.</summary>
    private static OrderCounts<TKey> Counted<TKey>(int order, TKey[] ngrams, int length, EstimationKey<TKey> key, Parallelism parallelism)
        where TKey : unmanaged, IBinaryInteger<TKey>, IUnsignedNumber<TKey>
    {
        RadixSort.Sort(ngrams, null, length, order * key.BitsPerWord, parallelism);
        var distinct = 0;
        for (var i = 0; i < length; i++)
        {
            if (i == 0 || ngrams[i] != ngrams[i - 1]) distinct++;
        }
        var keys = new TKey[distinct];
        var counts = new long[distinct];
        var d = -1;
        for (var i = 0; i < length; i++)
        {
            if (i == 0 || ngrams[i] != ngrams[i - 1]) keys[++d] = ngrams[i];
            counts[d]++;
        }
        return new OrderCounts<TKey>(order, keys, counts);
    }
}
