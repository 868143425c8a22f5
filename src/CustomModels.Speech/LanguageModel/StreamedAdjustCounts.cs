using System.Numerics;

namespace CustomModels.Speech.LanguageModel;

/// <summary>
/// Stage 2 for a trigram model, and the pruning's choice, from one read of the trigram counts as
/// they are merged (<see cref="NGramCounter{TKey}.ForEachCounted"/>), without holding them: the
/// model <see cref="AdjustCounts"/> and <see cref="CountPruning.Choose{TKey}"/> give from every
/// n-gram held in memory, for the memory of the n-grams the model can keep.
/// The trigrams come keyed last word first, so those that share their last two words lie together
/// and each bigram's continuation count (how many trigrams end with it) and occurrences (the sum
/// of their counts) come out as a run ends. Everything else an n-gram that is pruned contributes
/// is a sum: to the counts of counts, to the histograms the threshold is chosen from, to its
/// unigram's continuation count, and to its context's total, the denominator of that context's
/// probabilities (<see cref="OrderCounts{TKey}.ContextTotals"/>). A bigram context's total is the
/// bigram's occurrences (every occurrence of a bigram that does not end the sentence is followed
/// by a word or &lt;/s&gt;, which makes a trigram); a unigram context's is summed here.
/// The n-grams that can be kept are gathered as they come: those seen at least t times, t rising
/// whenever more of them are gathered than the limit allows (then more than the limit are seen t
/// times or more, so the threshold chosen is above t). The model is the same n-gram for n-gram.
/// </summary>
internal static class StreamedAdjustCounts
{
    private const int Order = 3;

    /// <param name="trigramsLastWordFirst">Read once (<see cref="CorpusCount.CountNGramsLastWordFirst{TKey}"/>).</param>
    /// <param name="sentenceStartBigrams">The raw counts of the bigrams starting with &lt;s&gt;, sorted.</param>
    /// <param name="progress">The fraction of the trigram counts read.</param>
    /// <returns>
    /// The orders with only the n-grams the model keeps (unigrams: all), adjusted counts and suffix
    /// indexes as <see cref="AdjustCounts"/> gives them; the counts of counts of every n-gram; the pruning.
    /// </returns>
    public static (OrderCounts<TKey>[] Counts, CountsOfCounts[] CountsOfCounts, CountPruning Pruning) Run<TKey>(
        NGramCounter<TKey> trigramsLastWordFirst, OrderCounts<TKey> sentenceStartBigrams, int vocabularySize, EstimationKey<TKey> key,
        long ngramLimit, Parallelism parallelism, Action<double>? progress, CancellationToken ct)
        where TKey : unmanaged, IBinaryInteger<TKey>, IUnsignedNumber<TKey>
    {
        const int largest = CountPruning.LargestThreshold;
        var countsOfCounts = new[] { new long[5], new long[5], new long[5] };
        long[]?[] occurring = [null, new long[largest + 1], new long[largest + 1]];
        var continuations = new long[vocabularySize]; // the unigrams' adjusted counts
        var unigramTotals = new long[vocabularySize];
        var bigrams = new Gathered<TKey>();
        var trigrams = new Gathered<TKey>();
        var threshold = 1L;
        var room = ngramLimit - vocabularySize; // unigrams are never pruned

        void Gather(Gathered<TKey> gathered, TKey ngram, long adjusted, long occurrences)
        {
            gathered.Add(ngram, adjusted, occurrences);
            while (bigrams.Count + trigrams.Count > room && threshold < largest)
            {
                threshold++;
                bigrams.KeepFrom(threshold);
                trigrams.KeepFrom(threshold);
            }
        }

        void Bigram(TKey bigram, long adjusted, long occurrences)
        {
            OrderCounts<TKey>.CountsOfCountsCounting(countsOfCounts[1], adjusted);
            occurring[1]![Math.Min(occurrences, largest)]++;
            continuations[key.LastWord(bigram)]++;
            unigramTotals[int.CreateTruncating(key.Context(bigram))] += adjusted;
            if (occurrences >= threshold) Gather(bigrams, bigram, adjusted, occurrences);
        }

        var bits = key.BitsPerWord;
        var inRun = false;
        var run = TKey.Zero; // the last two words of the trigrams being read, last word first
        long continuation = 0, runOccurrences = 0;
        trigramsLastWordFirst.ForEachCounted((reversed, count) =>
        {
            OrderCounts<TKey>.CountsOfCountsCounting(countsOfCounts[2], count);
            occurring[2]![Math.Min(count, largest)]++;
            if (count >= threshold) Gather(trigrams, key.Reversed(reversed, Order), count, count);
            var lastTwo = reversed >> bits;
            if (inRun && lastTwo != run)
            {
                Bigram(key.Reversed(run, 2), continuation, runOccurrences);
                continuation = runOccurrences = 0;
            }
            (inRun, run) = (true, lastTwo);
            continuation++;
            runOccurrences += count;
        }, progress, ct);
        if (inRun) Bigram(key.Reversed(run, 2), continuation, runOccurrences);
        for (var i = 0; i < sentenceStartBigrams.Keys.Length; i++)
            Bigram(sentenceStartBigrams.Keys[i], sentenceStartBigrams.Counts[i], sentenceStartBigrams.Counts[i]);

        var pruning = CountPruning.FromHistograms(vocabularySize, occurring, ngramLimit);
        bigrams.KeepFrom(pruning.MinimumCount);
        trigrams.KeepFrom(pruning.MinimumCount);
        var (bigramKeys, bigramCounts, bigramOccurrences) = bigrams.Sorted(2 * bits, parallelism);
        var (trigramKeys, trigramCounts, _) = trigrams.Sorted(Order * bits, parallelism);

        var unigramKeys = new TKey[vocabularySize];
        for (var id = 0; id < vocabularySize; id++) unigramKeys[id] = TKey.CreateTruncating(id);
        var bigramSuffixes = bigramKeys.Select(key.LastWord).ToArray();
        // A trigram kept has its last two words kept: they occur at least as often.
        var trigramSuffixes = new int[trigramKeys.Length];
        for (var i = 0; i < trigramKeys.Length; i++)
        {
            var suffix = key.Suffix(trigramKeys[i], 2);
            var index = EstimationKey<TKey>.LowerBound(bigramKeys, 0, bigramKeys.Length, suffix);
            if (index == bigramKeys.Length || bigramKeys[index] != suffix)
                throw new InvalidOperationException("internal error: a trigram kept has its last two words pruned");
            trigramSuffixes[i] = index;
        }
        OrderCounts<TKey>[] counts =
        [
            new(1, unigramKeys, continuations, contextTotals: unigramTotals),
            new(2, bigramKeys, bigramCounts, bigramSuffixes, bigramOccurrences.Select(AdjustCounts.Saturated).ToArray(), contextTotals: bigramOccurrences),
            new(3, trigramKeys, trigramCounts, trigramSuffixes),
        ];
        return (counts, [counts[0].CountsOfCounts(), OrderCounts<TKey>.Counted(countsOfCounts[1]), OrderCounts<TKey>.Counted(countsOfCounts[2])], pruning);
    }

    /// <summary>N-grams gathered with their adjusted counts and occurrences, in the order they came.</summary>
    private sealed class Gathered<TKey> where TKey : unmanaged, IBinaryInteger<TKey>, IUnsignedNumber<TKey>
    {
        private TKey[] _keys = new TKey[1024];
        private long[] _adjusted = new long[1024];
        private long[] _occurrences = new long[1024];

        public int Count { get; private set; }

        public void Add(TKey ngram, long adjusted, long occurrences)
        {
            if (Count == _keys.Length)
            {
                Array.Resize(ref _keys, Count * 2);
                Array.Resize(ref _adjusted, Count * 2);
                Array.Resize(ref _occurrences, Count * 2);
            }
            (_keys[Count], _adjusted[Count], _occurrences[Count]) = (ngram, adjusted, occurrences);
            Count++;
        }

        /// <summary>Drops those that occur fewer than <paramref name="minimumOccurrences"/> times.</summary>
        public void KeepFrom(long minimumOccurrences)
        {
            var kept = 0;
            for (var i = 0; i < Count; i++)
            {
                if (_occurrences[i] < minimumOccurrences) continue;
                (_keys[kept], _adjusted[kept], _occurrences[kept]) = (_keys[i], _adjusted[i], _occurrences[i]);
                kept++;
            }
            Count = kept;
        }

        /// <summary>The n-grams (their values using <paramref name="keyBits"/> bits) sorted, with their counts.</summary>
        public (TKey[] Keys, long[] Adjusted, long[] Occurrences) Sorted(int keyBits, Parallelism parallelism)
        {
            var keys = _keys[..Count];
            var positions = Enumerable.Range(0, Count).ToArray();
            RadixSort.Sort(keys, positions, Count, keyBits, parallelism);
            var adjusted = positions.Select(p => _adjusted[p]).ToArray();
            var occurrences = positions.Select(p => _occurrences[p]).ToArray();
            _keys = [];
            _adjusted = _occurrences = [];
            return (keys, adjusted, occurrences);
        }
    }
}
