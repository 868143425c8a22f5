using System.Globalization;
using CustomModels.Speech.LanguageModel;

namespace CustomModels.Speech.Tests.LanguageModel;

public class KneserNeyEstimatorTests
{
    internal static readonly string[] TinyCorpus = ["the cat sat on the mat", "the dog sat on the log", "the cat ate the dog"];

    /// <summary>
    /// KenLM's `lmplz -o 3 --discount_fallback` on <see cref="TinyCorpus"/> (its p(&lt;s&gt;) of 0 is
    /// written as −99 here; both mean "never predicted").
    /// </summary>
    private const string LmplzTinyArpa = """
        -1.30103	<unk>	0
        -0.80370533	</s>	0
        -0.80370533	the	-0.20760831
        -1.0669467	cat	-0.13469857
        -0.9156791	sat	-0.3467875
        -1.0669467	on	-0.13469857
        -1.0669467	mat	-0.13469857
        -1.0669467	dog	-0.13469857
        -1.0669467	log	-0.13469857
        -1.0669467	ate	-0.13469857
        -0.41804492	mat </s>	0
        -0.6045488	dog </s>	0
        -0.41804492	log </s>	0
        -0.80370533	<s> the	-0.30103
        -0.41804492	on the	-0.30103
        -0.41804492	ate the	-0.30103
        -0.9727475	the cat	-0.30103
        -0.6529024	cat sat	-0.30103
        -0.6529024	dog sat	-0.30103
        -0.23020084	sat on	-0.30103
        -0.9727475	the mat	-0.30103
        -0.56361014	the dog	-0.30103
        -0.9727475	the log	-0.30103
        -0.70732206	cat ate	-0.30103
        -0.16055189	the mat </s>
        -0.42679676	the dog </s>
        -0.16055189	the log </s>
        -0.16055189	sat on the
        -0.16055189	cat ate the
        -0.41277024	<s> the cat
        -0.44226372	the cat sat
        -0.44226372	the dog sat
        -0.10002325	cat sat on
        -0.10002325	dog sat on
        -0.51821625	on the mat
        -0.51821625	<s> the dog
        -0.19615287	ate the dog
        -0.51821625	on the log
        -0.4583019	the cat ate
        """;

    [Fact]
    public void Tiny_corpus_gives_the_same_model_as_kenlm_lmplz()
    {
        var model = KneserNeyEstimator.Estimate(TinyCorpus).Model;

        Assert.Equal([11, 14, 15], new[] { model.NGramCount(1), model.NGramCount(2), model.NGramCount(3) });
        foreach (var line in LmplzTinyArpa.Split('\n'))
        {
            var fields = line.Split('\t');
            var words = fields[1].Split(' ');
            Assert.True(model.TryGetNGram(words, out var logProbability, out var logBackoff), $"missing {fields[1]}");
            Assert.Equal(double.Parse(fields[0], CultureInfo.InvariantCulture), logProbability, 1e-6);
            var expectedBackoff = fields.Length > 2 ? double.Parse(fields[2], CultureInfo.InvariantCulture) : 0;
            Assert.Equal(expectedBackoff, logBackoff, 1e-6);
        }
        Assert.True(model.TryGetNGram(["<s>"], out var sentenceStart, out _));
        Assert.Equal(BackoffLanguageModel.ImpossibleLogProbability, sentenceStart);
    }

    [Fact]
    public void Unigrams_match_the_hand_computed_interpolation_with_the_uniform_distribution()
    {
        // Continuation counts: the 3 (after <s>, on, ate), </s> 3, sat 2, six words 1; sum 14.
        // Unigram counts-of-counts 6, 1, 2, 0 give D2 < 0, so the fallback discounts 0.5, 1, 1.5 apply:
        // gamma = (0.5·6 + 1·1 + 1.5·2) / 14 = 0.5, shared over |V| = 10 words (<unk> in, <s> out).
        var model = KneserNeyEstimator.Estimate(TinyCorpus).Model;

        Assert.Equal(Math.Log10((3 - 1.5) / 14 + 0.5 / 10), Unigram(model, "the"), 1e-6);
        Assert.Equal(Math.Log10((2 - 1.0) / 14 + 0.5 / 10), Unigram(model, "sat"), 1e-6);
        Assert.Equal(Math.Log10((1 - 0.5) / 14 + 0.5 / 10), Unigram(model, "cat"), 1e-6);
        Assert.Equal(Math.Log10(0.5 / 10), Unigram(model, "<unk>"), 1e-6);
    }

    [Fact]
    public void Discounts_come_from_the_counts_of_counts_of_adjusted_counts()
    {
        var estimate = KneserNeyEstimator.Estimate(TinyCorpus);

        Assert.Equal(new CountsOfCounts(6, 1, 2, 0), estimate.CountsOfCounts[0]);
        Assert.Equal(new CountsOfCounts(11, 2, 1, 0), estimate.CountsOfCounts[1]);
        Assert.Equal(new CountsOfCounts(13, 2, 0, 0), estimate.CountsOfCounts[2]);

        // Bigrams: Y = 11 / (11 + 2·2); D1 = 1 − 2Y·2/11 = 11/15, D2 = 2 − 3Y·1/2 = 0.9, D3+ = 3 − 4Y·0/1 = 3.
        var bigram = estimate.Discounts[1];
        Assert.False(bigram.IsFallback);
        Assert.Equal(11.0 / 15, bigram.D1, 12);
        Assert.Equal(0.9, bigram.D2, 12);
        Assert.Equal(3.0, bigram.D3Plus, 12);

        Assert.Equal(KneserNeyDiscount.Fallback, estimate.Discounts[0]); // D2 would be −2.5
        Assert.Equal(KneserNeyDiscount.Fallback, estimate.Discounts[2]); // no trigram seen 3 times
    }

    [Theory]
    [InlineData(100, 50, 25, 12, 100.0 / 200)]
    [InlineData(4791, 1850, 1083, 669, 4791.0 / (4791 + 2 * 1850))]
    public void Discounts_follow_chen_and_goodman_equation_26(long n1, long n2, long n3, long n4, double y)
    {
        var discount = KneserNeyDiscount.FromCountsOfCounts(new CountsOfCounts(n1, n2, n3, n4));
        Assert.False(discount.IsFallback);
        Assert.Equal(1 - 2 * y * n2 / n1, discount.D1, 12);
        Assert.Equal(2 - 3 * y * n3 / n2, discount.D2, 12);
        Assert.Equal(3 - 4 * y * n4 / n3, discount.D3Plus, 12);
    }

    [Theory]
    [InlineData(0, 0, 0, 0)]
    [InlineData(5, 0, 0, 0)]
    [InlineData(5, 3, 0, 0)]
    [InlineData(10, 1, 10, 0)]
    public void Discounts_fall_back_when_counts_of_counts_cannot_give_them(long n1, long n2, long n3, long n4) =>
        Assert.Equal(KneserNeyDiscount.Fallback, KneserNeyDiscount.FromCountsOfCounts(new CountsOfCounts(n1, n2, n3, n4)));

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Probabilities_of_every_context_sum_to_one_at_every_order(int order)
    {
        var estimate = KneserNeyEstimator.Estimate(GeneratedCorpus(sentences: 400, seed: 7), order);
        Assert.Contains(estimate.Discounts, d => !d.IsFallback);
        ModelAssert.EveryContextSumsToOne(estimate.Model);
    }

    [Fact]
    public void Probabilities_sum_to_one_on_the_tiny_corpus_with_fallback_discounts() =>
        ModelAssert.EveryContextSumsToOne(KneserNeyEstimator.Estimate(TinyCorpus).Model);

    [Fact]
    public void A_one_word_corpus_gives_a_finite_model_that_sums_to_one()
    {
        var estimate = KneserNeyEstimator.Estimate(["hello"]);
        Assert.All(estimate.Discounts, d => Assert.True(d.IsFallback));
        for (var n = 1; n <= 3; n++)
        {
            Assert.All(estimate.Model.NGrams(n), g =>
            {
                Assert.True(float.IsFinite(g.LogProbability));
                Assert.True(float.IsFinite(g.LogBackoff));
            });
        }
        ModelAssert.EveryContextSumsToOne(estimate.Model);
    }

    [Fact]
    public void Lines_are_normalized_and_blank_lines_skipped()
    {
        var estimate = KneserNeyEstimator.Estimate(["The CAT, sat!", "", "  ...  ", "the cat sat"]);
        Assert.Equal(2, estimate.Sentences);
        Assert.Equal(6, estimate.Words);
        Assert.True(estimate.Model.TryGetNGram(["the", "cat", "sat"], out _, out _));
        Assert.False(estimate.Model.Contains("CAT"));
    }

    [Fact]
    public void Text_without_words_is_refused() =>
        Assert.Throws<InvalidDataException>(() => KneserNeyEstimator.Estimate(["", "!!!"]));

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    public void Orders_outside_two_to_five_are_refused(int order) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => KneserNeyEstimator.Estimate(TinyCorpus, order));

    [Fact]
    public void Sections_are_sorted_with_special_words_first()
    {
        var model = KneserNeyEstimator.Estimate(TinyCorpus).Model;
        Assert.Equal(["<unk>", "<s>", "</s>", "ate", "cat", "dog", "log", "mat", "on", "sat", "the"], model.NGrams(1).Select(g => g.Words[0]));
    }

    private static double Unigram(BackoffLanguageModel model, string word)
    {
        Assert.True(model.TryGetNGram([word], out var logProbability, out _));
        return logProbability;
    }

    /// <summary>Sentences from a skewed distribution over 30 words, so every order has counts 1 to 4.</summary>
    internal static IEnumerable<string> GeneratedCorpus(int sentences, int seed)
    {
        var random = new Random(seed);
        var words = Enumerable.Range(0, 30).Select(i => "w" + (char)('a' + i % 26) + (char)('a' + i / 26)).ToArray();
        for (var s = 0; s < sentences; s++)
        {
            var length = random.Next(1, 9);
            var sentence = new string[length];
            var previous = 0;
            for (var i = 0; i < length; i++)
            {
                // Mostly a word near the previous one, sometimes any word: repeated phrases and rare ones.
                var next = random.NextDouble() < 0.7 ? (previous + random.Next(0, 3)) % words.Length : (int)(words.Length * Math.Pow(random.NextDouble(), 2));
                sentence[i] = words[next];
                previous = next;
            }
            yield return string.Join(' ', sentence);
        }
    }
}

public class KneserNeyEstimatorStreamTests
{
    [Fact]
    public void Estimating_from_utf8_text_gives_the_same_model_as_from_its_lines()
    {
        // Lines the byte-level path takes (plain ASCII, capitals, apostrophes inside and around
        // words, punctuation, tabs) and lines it hands to the string path (digits, %, &, non-ASCII).
        string[] lines =
        [
            "The cat's mat, the CAT'S hat.", "'quoted' words' and don't-stop", "", "   ", "it's 25 past 3rd",
            "50% of R&D", "Café déjà vu", "the cat sat\ton the mat", "ends with an apostrophe'", "x'y ''z a'",
            "the dog sat on the log", "The cat ate the dog.", "ﬁne ２５ items", "the cat sat on the mat",
        ];
        var text = "\uFEFF" + string.Join("\r\n", lines) + "\n" + string.Join("\n", KneserNeyEstimatorTests.GeneratedCorpus(200, 5));

        var fromLines = KneserNeyEstimator.Estimate(text.TrimStart('\uFEFF').Replace("\r\n", "\n").Split('\n'), order: 4);
        var fromText = KneserNeyEstimator.Estimate(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)), order: 4);

        Assert.Equal(Arpa(fromLines.Model), Arpa(fromText.Model));
        Assert.Equal(fromLines.Sentences, fromText.Sentences);
        Assert.Equal(fromLines.Words, fromText.Words);
    }

    [Theory]
    [InlineData(3)] // 64-bit keys
    [InlineData(5)] // 5 × 13 or more bits per word: 128-bit keys
    public void Estimating_on_two_threads_gives_the_same_arpa_as_on_one(int order)
    {
        // Enough n-grams (over 65,536 of each order) and words (thousands) that every shared
        // step runs split: the radix sorts' halves and the interpolation's chunks.
        var random = new Random(17);
        static string Word(int i) => new(i.ToString(CultureInfo.InvariantCulture).Select(digit => (char)('a' + digit - '0')).ToArray());
        var sentences = Enumerable.Range(0, 30_000).Select(_ =>
            string.Join(' ', Enumerable.Range(0, random.Next(3, 15)).Select(_ => "w" + Word((int)(20_000 * Math.Pow(random.NextDouble(), 3))))));
        var text = System.Text.Encoding.UTF8.GetBytes(string.Join('\n', sentences));

        var single = KneserNeyEstimator.Estimate(new MemoryStream(text), order, new EstimationOptions(), Parallelism.SingleThreaded);
        var parallel = KneserNeyEstimator.Estimate(new MemoryStream(text), order, new EstimationOptions(), Parallelism.Threads(2));

        Assert.True(single.Model.NGramCount(order) > 65_536, $"{single.Model.NGramCount(order)} {order}-grams");
        Assert.True(single.Model.Vocabulary.Count > 4096, $"{single.Model.Vocabulary.Count} words");
        Assert.Equal(Arpa(single.Model), Arpa(parallel.Model));
        // The writer formats chunks of 16,384 n-grams on both threads while it writes: same bytes as one thread.
        Assert.Equal(ArpaBytes(single.Model, Parallelism.SingleThreaded), ArpaBytes(single.Model, Parallelism.Threads(2)));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)] // 128-bit keys
    public void The_arpa_is_the_same_whether_the_counts_fit_the_memory_budget_or_are_spilled_in_runs(int order)
    {
        var text = System.Text.Encoding.UTF8.GetBytes(string.Join('\n', KneserNeyEstimatorTests.GeneratedCorpus(20_000, 23)));
        var runs = Path.Combine(Path.GetTempPath(), $"lm-budget-test-{Guid.NewGuid():N}");
        Directory.CreateDirectory(runs);
        try
        {
            var inMemory = KneserNeyEstimator.Estimate(new MemoryStream(text), order, new EstimationOptions { TemporaryDirectory = runs });
            var spilled = KneserNeyEstimator.Estimate(new MemoryStream(text), order,
                new EstimationOptions { MemoryBudgetBytes = 64 * 1024, TemporaryDirectory = runs });

            Assert.Equal(0, inMemory.SpilledRuns);
            Assert.True(spilled.SpilledRuns > 10, $"{spilled.SpilledRuns} runs");
            Assert.Equal(ArpaBytes(inMemory.Model, Parallelism.SingleThreaded), ArpaBytes(spilled.Model, Parallelism.SingleThreaded));
            Assert.Empty(Directory.EnumerateFileSystemEntries(runs)); // the runs are removed
        }
        finally
        {
            Directory.Delete(runs, recursive: true);
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)] // 128-bit keys
    public void Writing_while_estimating_gives_the_bytes_of_the_whole_model_and_keeps_what_scoring_needs(int order)
    {
        var corpus = KneserNeyEstimatorTests.GeneratedCorpus(20_000, 31).ToList();
        var text = System.Text.Encoding.UTF8.GetBytes(string.Join('\n', corpus));
        // Scored text: sentences of the corpus, a word it never saw, and a sentence of new word pairs.
        string[] scored = [corpus[3], corpus[77] + " zzzunseen " + corpus[5], string.Join(' ', corpus[9].Split(' ').Reverse())];

        var whole = KneserNeyEstimator.Estimate(new MemoryStream(text), order);
        var arpa = new MemoryStream();
        var streamed = KneserNeyEstimator.EstimateToArpa(new MemoryStream(text), order, new EstimationOptions(), arpa, scored);

        Assert.Equal(ArpaBytes(whole.Model, Parallelism.AllCores), arpa.ToArray());
        Assert.Equal(Enumerable.Range(1, order).Select(n => (long)whole.Model.NGramCount(n)), streamed.NGramCounts);
        Assert.Equal(whole.Model.Vocabulary, streamed.Model.Vocabulary);
        // Only what scoring consults is kept, and it scores exactly as the whole model does.
        Assert.True(streamed.Model.NGramCount(order) < 200, $"{streamed.Model.NGramCount(order)} {order}-grams kept");
        Assert.Equal(Perplexity.Measure(whole.Model, scored), Perplexity.Measure(streamed.Model, scored));
    }

    [Fact]
    public void Estimation_stops_when_cancelled_and_leaves_no_runs_behind()
    {
        var text = System.Text.Encoding.UTF8.GetBytes(string.Join('\n', KneserNeyEstimatorTests.GeneratedCorpus(50_000, 29)));
        var runs = Path.Combine(Path.GetTempPath(), $"lm-cancel-test-{Guid.NewGuid():N}");
        Directory.CreateDirectory(runs);
        using var cancel = new CancellationTokenSource();
        var reported = new List<double>();
        try
        {
            Assert.Throws<OperationCanceledException>(() => KneserNeyEstimator.Estimate(new MemoryStream(text), 3, new EstimationOptions
            {
                MemoryBudgetBytes = 64 * 1024,
                TemporaryDirectory = runs,
                CancellationToken = cancel.Token,
                // Cancelled once counting (the second pass, after 0.2) is under way.
                Progress = fraction =>
                {
                    reported.Add(fraction);
                    if (fraction > 0.3) cancel.Cancel();
                },
            }));
            Assert.Contains(reported, f => f is > 0 and < 0.2); // progress moves inside the reading pass
            Assert.Empty(Directory.EnumerateFileSystemEntries(runs));

            // Left to finish, it reports inside every stage, never backwards: reading (to 0.2), counting
            // (to 0.5), reading the merged counts (to 0.8), then each order as it is interpolated.
            reported.Clear();
            KneserNeyEstimator.Estimate(new MemoryStream(text), 3, new EstimationOptions
            {
                MemoryBudgetBytes = 64 * 1024,
                TemporaryDirectory = runs,
                Progress = reported.Add,
            });
            Assert.Equal(reported.Order(), reported);
            foreach (var (from, to) in new[] { (0, 0.2), (0.2, 0.5), (0.5, 0.8), (0.8, 1.0) })
                Assert.True(reported.Any(f => f > from && f < to), $"nothing reported between {from} and {to}: {string.Join(", ", reported.Distinct())}");
            Assert.Equal(1, reported[^1]);
        }
        finally
        {
            Directory.Delete(runs, recursive: true);
        }
    }

    [Fact]
    public void A_line_longer_than_a_sentence_is_cut_between_words_into_several()
    {
        // 200,000 words on one line: cut into sentences of at most 16 KiB, between words, so every
        // word is still a word of the model and the count of sentences says where it was cut.
        var line = string.Join(' ', Enumerable.Range(0, 200_000).Select(i => i % 3 == 0 ? "alpha" : i % 3 == 1 ? "beta" : "gamma"));
        var estimate = KneserNeyEstimator.Estimate(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(line + "\nshort line\n")), 3);

        Assert.Equal(200_002, estimate.Words);
        var fewestPieces = (line.Length + SentenceSource.MaxSentenceBytes - 1) / SentenceSource.MaxSentenceBytes;
        Assert.InRange(estimate.Sentences, fewestPieces + 1, fewestPieces + 2); // each cut may fall a word short of the limit
        Assert.Equal(["</s>", "<s>", "<unk>", "alpha", "beta", "gamma", "line", "short"], estimate.Model.Vocabulary.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Text_that_is_not_utf8_is_refused_with_the_offset_of_the_bad_byte()
    {
        byte[] bytes = [.. "good line\nbad "u8.ToArray(), 0xFF, .. " line\n"u8.ToArray()];

        var error = Assert.Throws<CustomModels.Speech.Text.TranscriptEncodingException>(() => KneserNeyEstimator.Estimate(new MemoryStream(bytes)));
        Assert.Equal(14, error.ByteOffset);
    }

    private static byte[] ArpaBytes(BackoffLanguageModel model, Parallelism parallelism)
    {
        var stream = new MemoryStream();
        ArpaWriter.Write(model, stream, parallelism);
        return stream.ToArray();
    }

    private static string Arpa(BackoffLanguageModel model)
    {
        var writer = new StringWriter();
        ArpaWriter.Write(model, writer);
        return writer.ToString();
    }
}
