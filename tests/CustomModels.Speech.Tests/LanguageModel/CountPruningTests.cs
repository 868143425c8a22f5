using System.Text;
using CustomModels.Speech.LanguageModel;

namespace CustomModels.Speech.Tests.LanguageModel;

public class CountPruningTests
{
    private static readonly string[] Corpus = KneserNeyEstimatorTests.GeneratedCorpus(sentences: 600, seed: 11).ToArray();

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    public void The_model_keeps_exactly_the_ngrams_seen_at_least_the_threshold_and_still_sums_to_one(int order)
    {
        var whole = Estimate(Corpus, order, long.MaxValue);
        var limit = Total(whole) * 2 / 3;
        var pruned = Estimate(Corpus, order, limit);

        Assert.True(pruned.PrunedBelow > 1, $"pruned below {pruned.PrunedBelow}");
        Assert.True(pruned.NGramCounts.Sum() <= limit, $"{pruned.NGramCounts.Sum()} n-grams, limit {limit}");
        var occurrences = Occurrences(Corpus, order);
        for (var n = 2; n <= order; n++)
        {
            var expected = occurrences.Where(o => o.Key.Length == n && o.Value >= pruned.PrunedBelow).Select(o => string.Join(' ', o.Key)).Order(StringComparer.Ordinal);
            Assert.Equal(expected, pruned.Model.NGrams(n).Select(g => string.Join(' ', g.Words)).Order(StringComparer.Ordinal));
            Assert.Equal(pruned.NGramCounts[n - 1], pruned.Model.NGramCount(n));
        }
        // The smallest threshold that fits: one less would not.
        var atOneLess = whole.Model.NGramCount(1) + occurrences.Count(o => o.Value >= pruned.PrunedBelow - 1);
        Assert.True(atOneLess > limit, $"{atOneLess} n-grams at a threshold of {pruned.PrunedBelow - 1}");
        // Unigrams are never pruned and their probabilities do not change (their backoffs do).
        Assert.Equal(whole.Model.NGrams(1).Select(g => g.LogProbability), pruned.Model.NGrams(1).Select(g => g.LogProbability));
        Assert.Equal(whole.Discounts, pruned.Discounts);
        ModelAssert.EveryContextSumsToOne(pruned.Model);
    }

    [Fact]
    public void Every_ngram_kept_has_its_context_and_its_lower_order_in_the_model()
    {
        var pruned = Estimate(Corpus, 4, Total(Estimate(Corpus, 4, long.MaxValue)) / 3);
        for (var n = 2; n <= 4; n++)
        {
            foreach (var ngram in pruned.Model.NGrams(n))
            {
                Assert.True(pruned.Model.TryGetNGram(ngram.Words.Take(n - 1).ToArray(), out _, out _), $"context of {string.Join(' ', ngram.Words)}");
                Assert.True(pruned.Model.TryGetNGram(ngram.Words.Skip(1).ToArray(), out _, out _), $"suffix of {string.Join(' ', ngram.Words)}");
            }
        }
    }

    /// <summary>
    /// As lmplz --prune: an n-gram kept has the discounted probability u(w | c) it has in the
    /// unpruned model; only its context's backoff weight changes, taking what the pruned words had.
    /// p(w | c) − b(c) p(w | shorter c) gives u back from either model.
    /// </summary>
    [Fact]
    public void Ngrams_kept_have_the_discounted_probability_of_the_unpruned_model()
    {
        var whole = Estimate(Corpus, 3, long.MaxValue).Model;
        var pruned = Estimate(Corpus, 3, Total(Estimate(Corpus, 3, long.MaxValue)) / 2).Model;
        var compared = 0;
        for (var n = 2; n <= 3; n++)
        {
            foreach (var ngram in pruned.NGrams(n))
            {
                Assert.Equal(Discounted(whole, ngram.Words), Discounted(pruned, ngram.Words), 5);
                compared++;
            }
        }
        Assert.True(compared > 50, $"{compared} n-grams compared");
    }

    [Fact]
    public void A_model_within_the_limit_is_not_pruned_and_has_the_same_bytes()
    {
        var whole = Estimate(Corpus, 3, long.MaxValue);
        var atLimit = Estimate(Corpus, 3, Total(whole));
        Assert.Equal(1, atLimit.PrunedBelow);
        Assert.Equal(Arpa(whole.Model), Arpa(atLimit.Model));
        Assert.True(Estimate(Corpus, 3, Total(whole) - 1).PrunedBelow > 1);
    }

    [Fact]
    public void The_pruned_arpa_is_the_same_whether_the_counts_fit_the_memory_budget_or_are_spilled_in_runs()
    {
        var text = Encoding.UTF8.GetBytes(string.Join('\n', KneserNeyEstimatorTests.GeneratedCorpus(20_000, 23)));
        var runs = Path.Combine(Path.GetTempPath(), $"lm-pruning-test-{Guid.NewGuid():N}");
        Directory.CreateDirectory(runs);
        try
        {
            var inMemory = KneserNeyEstimator.Estimate(new MemoryStream(text), 3, new EstimationOptions { TemporaryDirectory = runs, NGramLimit = 5_000 });
            var spilled = KneserNeyEstimator.Estimate(new MemoryStream(text), 3,
                new EstimationOptions { MemoryBudgetBytes = 64 * 1024, TemporaryDirectory = runs, NGramLimit = 5_000 });
            Assert.True(spilled.SpilledRuns > 10, $"{spilled.SpilledRuns} runs");
            Assert.True(inMemory.PrunedBelow > 1, $"pruned below {inMemory.PrunedBelow}");
            Assert.Equal(Arpa(inMemory.Model), Arpa(spilled.Model));
        }
        finally
        {
            Directory.Delete(runs, recursive: true);
        }
    }

    /// <summary>
    /// A trigram model is adjusted from one read of its merged trigram counts, holding only the
    /// n-grams it can keep (<see cref="StreamedAdjustCounts"/>): the same bytes as from every n-gram
    /// held, the path the other orders take, pruned or not, its counts spilled or not.
    /// </summary>
    [Theory]
    [InlineData(long.MaxValue, 1L << 30)]
    [InlineData(long.MaxValue, 64 * 1024)]
    [InlineData(5_000, 1L << 30)]
    [InlineData(5_000, 64 * 1024)]
    [InlineData(300, 1L << 30)]
    public void A_trigram_model_from_one_read_of_its_counts_is_the_model_of_every_ngram_held(long limit, long budget)
    {
        var text = Encoding.UTF8.GetBytes(string.Join('\n', KneserNeyEstimatorTests.GeneratedCorpus(20_000, 23).Concat(["one", "two words"])));
        var runs = Path.Combine(Path.GetTempPath(), $"lm-pruning-test-{Guid.NewGuid():N}");
        Directory.CreateDirectory(runs);
        try
        {
            var options = new EstimationOptions { TemporaryDirectory = runs, NGramLimit = limit, MemoryBudgetBytes = budget };
            var held = KneserNeyEstimator.Estimate(new MemoryStream(text), 3, options with { HoldEveryNGram = true });
            var arpa = new MemoryStream();
            var streamed = KneserNeyEstimator.EstimateToArpa(new MemoryStream(text), 3, options, arpa);

            Assert.Equal(held.NGramCounts, streamed.NGramCounts);
            Assert.Equal((held.PrunedBelow, held.SpilledRuns), (streamed.PrunedBelow, streamed.SpilledRuns));
            Assert.Equal(held.CountsOfCounts, streamed.CountsOfCounts);
            Assert.Equal(Arpa(held.Model), arpa.ToArray());
        }
        finally
        {
            Directory.Delete(runs, recursive: true);
        }
    }

    [Fact]
    public void Writing_while_estimating_writes_the_pruned_model()
    {
        var text = Encoding.UTF8.GetBytes(string.Join('\n', Corpus));
        var options = new EstimationOptions { NGramLimit = 1_000 };
        var whole = KneserNeyEstimator.Estimate(new MemoryStream(text), 3, options);
        var arpa = new MemoryStream();
        var streamed = KneserNeyEstimator.EstimateToArpa(new MemoryStream(text), 3, options, arpa);
        Assert.True(streamed.PrunedBelow > 1);
        Assert.Equal(Arpa(whole.Model), arpa.ToArray());
        Assert.Equal(Lines(whole.Model, 3), Lines(ArpaReader.Read(new MemoryStream(arpa.ToArray())), 3));
    }

    private static double Discounted(BackoffLanguageModel model, IReadOnlyList<string> words)
    {
        var context = words.Take(words.Count - 1).ToArray();
        Assert.True(model.TryGetNGram(words, out var logProbability, out _));
        Assert.True(model.TryGetNGram(context, out _, out var logBackoff));
        return Math.Pow(10, logProbability) - Math.Pow(10, logBackoff + model.LogProbability(context.Skip(1).ToArray(), words[^1]));
    }

    private static IEnumerable<(string, float, float)> Lines(BackoffLanguageModel model, int order) =>
        model.NGrams(order).Select(g => (string.Join(' ', g.Words), g.LogProbability, g.LogBackoff));

    private static LanguageModelEstimate Estimate(IEnumerable<string> lines, int order, long limit) =>
        KneserNeyEstimator.Estimate(new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', lines))), order, new EstimationOptions { NGramLimit = limit });

    private static long Total(LanguageModelEstimate estimate) => estimate.NGramCounts.Sum();

    /// <summary>How often each n-gram of order 2 to <paramref name="order"/> occurs in "&lt;s&gt; words &lt;/s&gt;", counted the plain way.</summary>
    private static Dictionary<string[], int> Occurrences(IEnumerable<string> lines, int order)
    {
        var counts = new Dictionary<string[], int>(new WordsComparer());
        foreach (var line in lines)
        {
            string[] sentence = [BackoffLanguageModel.SentenceStart, .. line.Split(' ', StringSplitOptions.RemoveEmptyEntries), BackoffLanguageModel.SentenceEnd];
            for (var n = 2; n <= order; n++)
            {
                for (var start = 0; start + n <= sentence.Length; start++)
                {
                    var ngram = sentence[start..(start + n)];
                    counts[ngram] = counts.GetValueOrDefault(ngram) + 1;
                }
            }
        }
        return counts;
    }

    private static byte[] Arpa(BackoffLanguageModel model)
    {
        var stream = new MemoryStream();
        ArpaWriter.Write(model, stream, Parallelism.SingleThreaded);
        return stream.ToArray();
    }

    private sealed class WordsComparer : IEqualityComparer<string[]>
    {
        public bool Equals(string[]? x, string[]? y) => x!.SequenceEqual(y!);

        public int GetHashCode(string[] words) => string.Join(' ', words).GetHashCode(StringComparison.Ordinal);
    }
}
