using System.Numerics;

namespace CustomModels.Speech.LanguageModel;

/// <summary>
/// Stage 1 of estimation: the vocabulary and the raw n-gram counts, in two passes over the text
/// (<see cref="SentenceSource"/>), neither of which holds it.
/// Pass 1 (<see cref="Run"/>): word ids (&lt;unk&gt; 0, &lt;s&gt; 1, &lt;/s&gt; 2, then the words in ordinal
/// order, so that sorting by id sorts alphabetically), and how many sentences and words.
/// Pass 2 (<see cref="CountNGrams{TKey}"/>): per order, the raw counts of the n-grams that end at
/// each position of "&lt;s&gt; w1 … wm &lt;/s&gt;": those of the highest order, and the shorter ones cut
/// off by the sentence start ("&lt;s&gt; w1" for a trigram model), which keep raw counts in
/// Kneser-Ney because nothing can precede &lt;s&gt;. The occurrences are counted within a memory
/// budget, spilling sorted runs to disk beyond it (<see cref="NGramCounter{TKey}"/>).
/// </summary>
internal sealed class CorpusCount
{
    public const int UnknownId = 0;
    public const int SentenceStartId = 1;
    public const int SentenceEndId = 2;

    private readonly SentenceSource _text;
    private readonly Utf8WordTable _firstSeenIds;
    private readonly int[] _finalIds;

    private CorpusCount(SentenceSource text, Utf8WordTable firstSeenIds, int[] finalIds, string[] vocabulary, long sentences, long words, int order)
    {
        _text = text;
        _firstSeenIds = firstSeenIds;
        _finalIds = finalIds;
        Vocabulary = vocabulary;
        Sentences = sentences;
        Words = words;
        Order = order;
    }

    public string[] Vocabulary { get; }

    public int Order { get; }

    public long Sentences { get; }

    public long Words { get; }

    /// <summary>How many sorted runs <see cref="CountNGrams{TKey}"/> spilled to disk (0 when the counts fit the budget).</summary>
    public int SpilledRuns { get; set; }

    /// <summary>Pass 1: the vocabulary, words to ids in order of appearance, then sorted.</summary>
    /// <exception cref="InvalidDataException">The text has no words, or more distinct words than a model can hold.</exception>
    public static CorpusCount Run(SentenceSource text, int order, Action<double>? progress, CancellationToken ct)
    {
        var wordIds = new Utf8WordTable();
        long sentences = 0, words = 0;
        text.ForEach(sentence =>
        {
            for (var k = 0; k < sentence.Count; k++) wordIds.IdOf(sentence.Word(k));
            sentences++;
            words += sentence.Count;
        }, progress, ct);

        var firstSeenWords = wordIds.Words();
        if (words == 0) throw new InvalidDataException("the training text has no words (after normalization every line is empty)");
        if (firstSeenWords.Length + 3 > PackedNGram.MaxVocabularySize)
            throw new InvalidDataException($"the training text has {firstSeenWords.Length} distinct words; at most {PackedNGram.MaxVocabularySize - 3} are supported");

        // Final ids: specials first, then the words sorted, so sections come out sorted.
        var sorted = firstSeenWords;
        var sortedFirstSeenIds = Enumerable.Range(0, sorted.Length).ToArray();
        Array.Sort(sorted, sortedFirstSeenIds, StringComparer.Ordinal);
        var finalIds = new int[sorted.Length];
        for (var i = 0; i < sorted.Length; i++) finalIds[sortedFirstSeenIds[i]] = i + 3;
        var vocabulary = new string[sorted.Length + 3];
        vocabulary[UnknownId] = BackoffLanguageModel.Unknown;
        vocabulary[SentenceStartId] = BackoffLanguageModel.SentenceStart;
        vocabulary[SentenceEndId] = BackoffLanguageModel.SentenceEnd;
        sorted.CopyTo(vocabulary, 3);
        return new CorpusCount(text, wordIds, finalIds, vocabulary, sentences, words, order);
    }

    /// <summary>
    /// Pass 2: the n-gram ending at each position of every sentence, packed, sorted and counted.
    /// Index order − 1; the highest order holds every n-gram, lower orders only those starting with &lt;s&gt;.
    /// </summary>
    /// <param name="memoryBudgetBytes">
    /// For the occurrences being gathered (and their sorting): three quarters for the highest order,
    /// the rest shared by the shorter ones, which get one occurrence per sentence.
    /// </param>
    /// <param name="runDirectory">Where runs are spilled when the budget is exceeded.</param>
    public OrderCounts<TKey>[] CountNGrams<TKey>(EstimationKey<TKey> key, Parallelism parallelism, long memoryBudgetBytes,
        string runDirectory, Action<double>? progress, CancellationToken ct) where TKey : unmanaged, IBinaryInteger<TKey>, IUnsignedNumber<TKey>
    {
        var counters = CountOccurrences(key, parallelism, memoryBudgetBytes, runDirectory, lastWordFirst: false, progress, ct);
        try
        {
            return Finish(counters, Order, ct);
        }
        finally
        {
            foreach (var counter in counters) counter?.Dispose();
        }
    }

    /// <summary>
    /// Pass 2 as <see cref="CountNGrams{TKey}"/>, except that the highest order is left to be read
    /// once (<see cref="NGramCounter{TKey}.ForEachCounted"/>; the caller disposes it), its n-grams
    /// keyed last word first (<see cref="EstimationKey{TKey}.AppendLastWordFirst"/>), so that they
    /// come sorted by their last n − 1 words. Index order − 1 of the lower orders is null for the highest.
    /// </summary>
    public (NGramCounter<TKey> Highest, OrderCounts<TKey>[] Lower) CountNGramsLastWordFirst<TKey>(EstimationKey<TKey> key, Parallelism parallelism,
        long memoryBudgetBytes, string runDirectory, Action<double>? progress, CancellationToken ct)
        where TKey : unmanaged, IBinaryInteger<TKey>, IUnsignedNumber<TKey>
    {
        var counters = CountOccurrences(key, parallelism, memoryBudgetBytes, runDirectory, lastWordFirst: true, progress, ct);
        try
        {
            return (counters[Order - 1], Finish(counters, Order - 1, ct));
        }
        catch
        {
            counters[Order - 1].Dispose();
            throw;
        }
        finally
        {
            foreach (var counter in counters[..^1]) counter?.Dispose();
        }
    }

    private NGramCounter<TKey>[] CountOccurrences<TKey>(EstimationKey<TKey> key, Parallelism parallelism, long memoryBudgetBytes,
        string runDirectory, bool lastWordFirst, Action<double>? progress, CancellationToken ct) where TKey : unmanaged, IBinaryInteger<TKey>, IUnsignedNumber<TKey>
    {
        // A key held, and its copy while it is sorted.
        var bytesPerKey = 2L * System.Runtime.CompilerServices.Unsafe.SizeOf<TKey>();
        int Capacity(long bytes) => (int)Math.Min(Array.MaxLength, bytes / bytesPerKey);
        var runs = 0;
        string NewRunPath() => Path.Combine(runDirectory, $"run-{Interlocked.Increment(ref runs)}.bin");
        var highestBudget = Order == 2 ? memoryBudgetBytes : memoryBudgetBytes * 3 / 4;
        var counters = new NGramCounter<TKey>[Order];
        try
        {
            for (var n = 2; n <= Order; n++)
                counters[n - 1] = new NGramCounter<TKey>(n, key, Capacity(n == Order ? highestBudget : (memoryBudgetBytes - highestBudget) / (Order - 2)), NewRunPath, parallelism);
            var highest = counters[Order - 1];
            var fullMask = key.Mask(Order);
            var lookups = _firstSeenIds.Count;
            _text.ForEach(sentence =>
            {
                var ngram = TKey.CreateTruncating(SentenceStartId);
                var reversed = key.AppendLastWordFirst(TKey.Zero, SentenceStartId, Order);
                for (var position = 1; position <= sentence.Count + 1; position++)
                {
                    var word = position <= sentence.Count ? FinalId(sentence.Word(position - 1), lookups) : SentenceEndId;
                    ngram = key.Append(ngram, word) & fullMask;
                    reversed = key.AppendLastWordFirst(reversed, word, Order);
                    if (position + 1 >= Order) highest.Add(lastWordFirst ? reversed : ngram);
                    else counters[position].Add(ngram);
                }
            }, progress, ct);
            return counters;
        }
        catch
        {
            foreach (var counter in counters) counter?.Dispose();
            throw;
        }
    }

    /// <summary>The counts of orders 2 to <paramref name="highest"/>, each counter finished; index 0 the (empty) unigrams.</summary>
    private OrderCounts<TKey>[] Finish<TKey>(NGramCounter<TKey>[] counters, int highest, CancellationToken ct)
        where TKey : unmanaged, IBinaryInteger<TKey>, IUnsignedNumber<TKey>
    {
        var result = new OrderCounts<TKey>[Order];
        for (var n = highest; n >= 2; n--)
        {
            var counted = counters[n - 1].Finish(ct);
            SpilledRuns += counters[n - 1].Runs;
            result[n - 1] = counted;
        }
        result[0] = new OrderCounts<TKey>(1, [], []); // no unigram starts with <s> but <s> itself, which has no count
        return result;
    }

    private int FinalId(ReadOnlySpan<byte> word, int wordsAfterPassOne)
    {
        var firstSeen = _firstSeenIds.IdOf(word);
        if (firstSeen >= wordsAfterPassOne) throw new InvalidOperationException("the training text changed while it was being read");
        return _finalIds[firstSeen];
    }
}
