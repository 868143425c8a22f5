using CustomModels.Speech.LanguageModel;

namespace CustomModels.Speech.Tests.LanguageModel;

public class PerplexityTests
{
    private const string BigramModel = """
        \data\
        ngram 1=4
        ngram 2=2

        \1-grams:
        -1.0	<unk>	0
        -99	<s>	-0.5
        -0.5	</s>	0
        -0.3	a	-0.2

        \2-grams:
        -0.1	<s> a
        -0.4	a </s>

        \end\
        """;

    [Fact]
    public void Sentence_scores_use_stored_bigrams_and_back_off_to_unigrams()
    {
        var model = ArpaReader.Read(new StringReader(BigramModel));

        // p(a | <s>) = -0.1; "a a" is not stored: b(a) + p(a) = -0.2 - 0.3; p(</s> | a) = -0.4.
        var score = model.ScoreSentence(["a", "a"]);
        Assert.Equal([-0.1, -0.5, -0.4], score.LogProbabilities.Select(p => Math.Round(p, 6)));
        Assert.Equal(0, score.UnknownWords);
    }

    [Fact]
    public void Perplexity_counts_sentence_ends_and_reports_oovs_apart()
    {
        var model = ArpaReader.Read(new StringReader(BigramModel));

        // "a a": -0.1 - 0.5 - 0.4 = -1.0 over 3 tokens.
        // "b" is unknown: p(<unk> | <s>) = b(<s>) + p(<unk>) = -0.5 - 1.0; p(</s> | <unk>) = b(<unk>) + p(</s>) = -0.5.
        var result = Perplexity.Measure(model, ["a a", "", "B!"]);

        Assert.Equal(2, result.Sentences);
        Assert.Equal(3, result.Words);
        Assert.Equal(5, result.Tokens);
        Assert.Equal(1, result.Oovs);
        Assert.Equal(-3.0, result.TotalLogProbability, 6);
        Assert.Equal(Math.Pow(10, 3.0 / 5), result.IncludingOovs, 6);
        Assert.Equal(Math.Pow(10, 1.5 / 4), result.ExcludingOovs, 6);
    }

    [Fact]
    public void Perplexity_of_the_training_text_matches_the_sum_of_sentence_scores()
    {
        var model = KneserNeyEstimator.Estimate(KneserNeyEstimatorTests.TinyCorpus).Model;
        var result = Perplexity.Measure(model, KneserNeyEstimatorTests.TinyCorpus);

        var total = KneserNeyEstimatorTests.TinyCorpus.Sum(s => model.ScoreSentence(s.Split(' ')).TotalLogProbability);
        Assert.Equal(total, result.TotalLogProbability, 9);
        Assert.Equal(0, result.Oovs);
        Assert.Equal(result.IncludingOovs, result.ExcludingOovs, 9);
        // KenLM's query, on lmplz's model of the same text, prints "Perplexity including OOVs: 2.4433996311161055".
        Assert.Equal(2.4433996311161055, result.IncludingOovs, 6);
    }
}
