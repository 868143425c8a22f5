using CustomModels.Speech.Scoring;

namespace CustomModels.Speech.Tests.Scoring;

public class WordErrorTableTests
{
    static readonly (string Reference, string Hypothesis)[] Pairs =
    [
        ("continue apixaban for atrial fibrillation", "continue a pixel band for atrial fibrillation"),
        ("apixaban and metoprolol", "app and metoprolol"),
        ("apixaban twice daily", "app twice daily today"),
        ("the patient is stable", "patient is stable"),
        ("apixaban was stopped", "apixaban was stopped"),
    ];

    [Fact]
    public void Column_sums_equal_the_corpus_counts()
    {
        var alignments = Pairs.Select(p => ErrorRate.Words(p.Reference, p.Hypothesis)).ToList();
        var corpus = ErrorCounts.Sum(alignments.Select(a => a.Counts));
        var words = new WordErrorTable(alignments.Select(a => a.Alignment)).Words();

        Assert.Equal(corpus.ReferenceLength, words.Sum(w => w.Occurrences));
        Assert.Equal(corpus.Substitutions, words.Sum(w => w.Substituted));
        Assert.Equal(corpus.Deletions, words.Sum(w => w.Deleted));
        Assert.Equal(corpus.Insertions, words.Sum(w => w.Insertions));
        Assert.All(words, w => Assert.Equal(w.Occurrences, w.Correct + w.Deleted + w.Substituted));
        Assert.True(corpus.Errors > 4, "the pairs should exercise every kind of error");
    }

    [Fact]
    public void A_word_lists_what_it_was_recognized_as_and_the_worst_words_come_first()
    {
        var table = new WordErrorTable(Pairs.Select(p => ErrorRate.Words(p.Reference, p.Hypothesis).Alignment));
        var words = table.Words();

        var apixaban = words[0];
        Assert.Equal("apixaban", apixaban.Word);
        Assert.Equal(4, apixaban.Occurrences);
        Assert.Equal(1, apixaban.Correct);
        Assert.Equal(3, apixaban.Substituted);
        Assert.Equal([new WordCount("app", 2), new WordCount("band", 1)], apixaban.SubstitutedAs);
        Assert.Equal(1, table.CorrectCount("apixaban"));
        Assert.Equal(0, table.CorrectCount("never said"));

        Assert.Equal(1, words.Single(w => w.Word == "today").Insertions);
        Assert.Equal(0, words.Single(w => w.Word == "today").Occurrences);
        Assert.Equal(1, words.Single(w => w.Word == "the").Deleted);
    }

    [Fact]
    public void Substituted_as_keeps_the_three_most_frequent_replacements()
    {
        var table = new WordErrorTable([
            ErrorRate.Align(["w", "w", "w", "w", "w", "w"], ["a", "b", "b", "c", "c", "d"]).Alignment,
            ErrorRate.Align(["w"], ["c"]).Alignment,
        ]);
        var w = table.Words().Single(x => x.Word == "w");
        Assert.Equal(7, w.Substituted);
        Assert.Equal([new WordCount("c", 3), new WordCount("b", 2), new WordCount("a", 1)], w.SubstitutedAs);
    }

    [Fact]
    public void Confusions_are_the_most_frequent_pairs_first_and_limited()
    {
        var table = new WordErrorTable(Pairs.Select(p => ErrorRate.Words(p.Reference, p.Hypothesis).Alignment));
        var confusions = table.Confusions(50);
        Assert.Equal(new Confusion("apixaban", "app", 2), confusions[0]);
        Assert.Equal(confusions.Sum(c => c.Count), table.Words().Sum(w => w.Substituted));
        Assert.Single(table.Confusions(1));
    }
}
