using CustomModels.Speech.LanguageModel;

namespace CustomModels.Speech.Tests.LanguageModel;

public class ArpaTests
{
    [Fact]
    public void Writing_and_reading_back_gives_the_same_model()
    {
        var model = KneserNeyEstimator.Estimate(KneserNeyEstimatorTests.GeneratedCorpus(sentences: 300, seed: 3), order: 4).Model;

        var written = Write(model);
        var read = ArpaReader.Read(new StringReader(written));

        Assert.Equal(model.Order, read.Order);
        for (var n = 1; n <= model.Order; n++)
        {
            Assert.Equal(model.NGrams(n).Select(Text), read.NGrams(n).Select(Text));
        }
        Assert.Equal(written, Write(read));
    }

    [Fact]
    public void Written_file_has_the_arpa_layout()
    {
        var lines = Write(KneserNeyEstimator.Estimate(KneserNeyEstimatorTests.TinyCorpus).Model).Split('\n');

        Assert.Equal([@"\data\", "ngram 1=11", "ngram 2=14", "ngram 3=15", "", @"\1-grams:"], lines[..6]);
        Assert.Equal("-1.30103\t<unk>\t0", lines[6]);
        Assert.Equal("-99\t<s>\t0", lines[7]);
        Assert.Contains("-0.41277024\t<s> the cat", lines);
        Assert.Equal([@"\end\", ""], lines[^2..]);
    }

    [Fact]
    public void Reads_lmplz_style_files_with_a_preamble_spaces_and_blank_lines()
    {
        const string arpa = """
            made by hand

            \data\
            ngram 1=4
            ngram  2 = 2

            \1-grams:
            -1.0 <unk> 0
            -99  <s>   -0.5
            -0.5	</s>
            -0.3	a	-0.2


            \2-grams:
            -0.1 <s> a
            -inf a </s>

            \end\
            """;
        var model = ArpaReader.Read(new StringReader(arpa));

        Assert.Equal(2, model.Order);
        Assert.True(model.TryGetNGram(["</s>"], out var endLogProbability, out var endBackoff));
        Assert.Equal((-0.5f, 0f), (endLogProbability, endBackoff));
        Assert.True(model.TryGetNGram(["a", "</s>"], out var impossible, out _));
        Assert.Equal(-99f, impossible);
    }

    [Fact]
    public void A_model_without_unk_scores_unknown_words_at_minus_100()
    {
        const string arpa = """
            \data\
            ngram 1=3
            ngram 2=1

            \1-grams:
            -99	<s>	0
            -0.3	</s>	0
            -0.2	a	0

            \2-grams:
            -0.1	<s> a

            \end\
            """;
        var model = ArpaReader.Read(new StringReader(arpa));
        Assert.Equal(-100.0, model.LogProbability(["a"], "zebra"), 6);
    }

    [Theory]
    [InlineData("ngram 1=1\n", 2, @"no \data\ line")]
    [InlineData("\\data\\\n\n\\1-grams:\n-1\t<s>\n", 3, "no \"ngram 1=count\"")]
    [InlineData("\\data\\\nngram 1=x\n", 2, "expected \"ngram N=count\"")]
    [InlineData("\\data\\\nngram 1=3\nngram 3=1\n", 3, "expected the count of 2-grams")]
    [InlineData("\\data\\\nngram 1=3\n\n\\2-grams:\n", 4, @"expected \1-grams:")]
    [InlineData("\\data\\\nngram 1=3\n\n\\1-grams:\n-1\t<s>\n-1\t</s>\n-1\t<unk>\n", 8, @"ends without \end\")]
    [InlineData("\\data\\\nngram 1=3\n\n\\1-grams:\n-1\t<s>\n-1\t</s>\n\\end\\\n", 7, "has 2 entries but the \\data\\ header says 3")]
    [InlineData("\\data\\\nngram 1=3\n\n\\1-grams:\n-1\t<s>\nminus-one\t</s>\n-1\t<unk>\n\\end\\\n", 6, "\"minus-one\" is not a number")]
    [InlineData("\\data\\\nngram 1=3\n\n\\1-grams:\n-1\t<s>\n0.5\t</s>\n-1\t<unk>\n\\end\\\n", 6, "above 0")]
    [InlineData("\\data\\\nngram 1=3\n\n\\1-grams:\n-1\t<s>\n-1\t</s>\n-1\t<s>\n\\end\\\n", 7, "appears twice")]
    [InlineData("\\data\\\nngram 1=3\n\n\\1-grams:\n-1\t<s>\n-1\t</s> extra words\n-1\t<unk>\n\\end\\\n", 6, "found 4 fields")]
    [InlineData("\\data\\\nngram 1=3\nngram 2=1\n\n\\1-grams:\n-1\t<s>\t0\n-1\t</s>\t0\n-1\t<unk>\t0\n\n\\2-grams:\n-1\t<s> zebra\n\\end\\\n", 11, "\"zebra\" of this 2-gram is not among the 1-grams")]
    [InlineData("\\data\\\nngram 1=3\nngram 2=2\n\n\\1-grams:\n-1\t<s>\t0\n-1\t</s>\t0\n-1\t<unk>\t0\n\n\\2-grams:\n-1\t<s> </s>\n-2\t<s> </s>\n\\end\\\n", 12, "duplicate of line 11")]
    [InlineData("\\data\\\nngram 1=2\n\n\\1-grams:\n-1\t<s>\n-1\t<unk>\n\\end\\\n", 7, "no </s>")]
    [InlineData("\\data\\\nngram 1=1\nngram 2=0\nngram 3=0\nngram 4=0\nngram 5=0\nngram 6=0\n", 7, "6-gram models are not supported")]
    // Found by afl-fuzz (scripts/fuzz.sh arpa): "ngram " with nothing after it threw ArgumentOutOfRangeException.
    [InlineData("\\data\\\nngram 1=3\nngram \n\n\\1-grams:\n", 3, "expected \"ngram N=count\", found \"ngram \"")]
    public void Malformed_files_are_refused_with_the_line_and_the_reason(string arpa, int lineNumber, string reason)
    {
        var error = Assert.Throws<ArpaFormatException>(() => ArpaReader.Read(new StringReader(arpa)));
        Assert.Equal(lineNumber, error.LineNumber);
        Assert.Contains(reason, error.Message);
        Assert.StartsWith($"not a valid ARPA language model: line {lineNumber}: ", error.Message);
    }

    [Fact]
    public void A_file_that_is_not_utf8_is_refused()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, [.. "\\data\\\nngram 1=1\n\n\\1-grams:\n-1\t"u8, 0xE9, .. "\n\\end\\\n"u8]);
            var error = Assert.Throws<ArpaFormatException>(() => ArpaReader.Read(path));
            Assert.Contains("not UTF-8", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string Write(BackoffLanguageModel model)
    {
        var writer = new StringWriter();
        ArpaWriter.Write(model, writer);
        return writer.ToString();
    }

    private static string Text(NGram ngram) => $"{string.Join(' ', ngram.Words)} {ngram.LogProbability:R} {ngram.LogBackoff:R}";
}
