using System.Text;
using CustomModels.Speech.Text;

namespace CustomModels.Speech.Tests.Text;

public class TranscriptNormalizerTests
{
    [Theory]
    [InlineData("Hello, World!", "hello world")]
    [InlineData("  The   patient\tis\nstable.  ", "the patient is stable")]
    [InlineData("Don't stop; the patient's BP is fine.", "don't stop the patient's bp is fine")]
    [InlineData("He said 'no' and \"yes\".", "he said no and yes")]
    [InlineData("The patients' charts", "the patients charts")]
    [InlineData("It\u2019s the doctor\u2019s note", "it's the doctor's note")]
    [InlineData("follow-up in two-three weeks \u2014 maybe", "follow up in two three weeks maybe")]
    [InlineData("ÉCHOCARDIOGRAMME", "échocardiogramme")]
    public void Lowercases_removes_punctuation_keeps_inner_apostrophes_and_splits_hyphens(string text, string expected) =>
        Assert.Equal(expected, TranscriptNormalizer.Normalize(text));

    [Theory]
    [InlineData("0", "zero")]
    [InlineData("7", "seven")]
    [InlineData("13", "thirteen")]
    [InlineData("25", "twenty five")]
    [InlineData("40", "forty")]
    [InlineData("105", "one hundred five")]
    [InlineData("999", "nine hundred ninety nine")]
    [InlineData("1000", "one thousand")]
    [InlineData("1,200", "one thousand two hundred")]
    [InlineData("12,345,678", "twelve million three hundred forty five thousand six hundred seventy eight")]
    [InlineData("2000000", "two million")]
    [InlineData("3000000001", "three billion one")]
    [InlineData("7,000,000,000,000", "seven trillion")]
    public void Spells_whole_numbers(string text, string expected) =>
        Assert.Equal(expected, TranscriptNormalizer.Normalize(text));

    [Theory]
    [InlineData("2.5", "two point five")]
    [InlineData("0.25", "zero point two five")]
    [InlineData("2.50 mg", "two point five zero mg")]
    [InlineData(".5", "point five")]
    [InlineData("the end.", "the end")]
    [InlineData("dose 5.", "dose five")]
    public void Spells_decimals_digit_by_digit_after_the_point(string text, string expected) =>
        Assert.Equal(expected, TranscriptNormalizer.Normalize(text));

    [Theory]
    [InlineData("1st", "first")]
    [InlineData("2nd", "second")]
    [InlineData("3rd", "third")]
    [InlineData("4th", "fourth")]
    [InlineData("11th", "eleventh")]
    [InlineData("12th", "twelfth")]
    [InlineData("20th", "twentieth")]
    [InlineData("21st", "twenty first")]
    [InlineData("100th", "one hundredth")]
    [InlineData("the 3rd day", "the third day")]
    public void Spells_ordinals(string text, string expected) =>
        Assert.Equal(expected, TranscriptNormalizer.Normalize(text));

    [Theory]
    [InlineData("50%", "fifty percent")]
    [InlineData("50 %", "fifty percent")]
    [InlineData("2.5%", "two point five percent")]
    [InlineData("salt & pepper", "salt and pepper")]
    [InlineData("5mg", "five mg")]
    [InlineData("covid19", "covid nineteen")]
    [InlineData("007", "zero zero seven")]
    [InlineData("1,2", "one two")]
    [InlineData("10:30", "ten thirty")]
    [InlineData("\uFF12\uFF15", "twenty five")]
    public void Reads_symbols_and_mixed_tokens(string text, string expected) =>
        Assert.Equal(expected, TranscriptNormalizer.Normalize(text));

    [Fact]
    public void Words_are_the_normalized_tokens_in_order() =>
        Assert.Equal(["take", "twenty", "five", "mg", "don't"], TranscriptNormalizer.Words("Take 25 mg, don't!"));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("... -- !!")]
    public void Text_without_words_normalizes_to_empty(string text)
    {
        Assert.Equal("", TranscriptNormalizer.Normalize(text));
        Assert.Empty(TranscriptNormalizer.Words(text));
    }

    [Fact]
    public void Normalizing_twice_changes_nothing()
    {
        const string text = "Follow-up on 3rd May: 2.5 mg (50%) of metoprolol, the patient's 1,200 steps.";
        var once = TranscriptNormalizer.Normalize(text);
        Assert.Equal(once, TranscriptNormalizer.Normalize(once));
    }

    [Fact]
    public void DecodeUtf8_strips_the_byte_order_mark() =>
        Assert.Equal("héllo", TranscriptNormalizer.DecodeUtf8([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("héllo")]));

    [Fact]
    public void DecodeUtf8_rejects_latin1_with_the_offset_of_the_bad_byte()
    {
        var latin1 = Encoding.Latin1.GetBytes("caf\u00e9 au lait");
        var error = Assert.Throws<TranscriptEncodingException>(() => TranscriptNormalizer.DecodeUtf8(latin1));
        Assert.Equal(3, error.ByteOffset);
        Assert.Contains("not valid UTF-8 text (invalid byte at offset 3)", error.Message);
    }

    [Fact]
    public void ReadLines_splits_on_newlines_and_drops_carriage_returns_and_the_byte_order_mark()
    {
        var bytes = Encoding.UTF8.GetBytes("\uFEFFfirst line\r\nsecond\n\nlast without newline");
        var lines = TranscriptNormalizer.ReadLines(new MemoryStream(bytes)).ToList();
        Assert.Equal(["first line", "second", "", "last without newline"], lines);
    }

    [Fact]
    public void ReadLines_reports_the_file_offset_of_a_bad_byte_in_a_later_line()
    {
        var bytes = new List<byte>();
        bytes.AddRange(Encoding.UTF8.GetBytes(new string('a', 100_000) + "\n"));
        bytes.AddRange(Encoding.UTF8.GetBytes("ok\n"));
        bytes.AddRange([(byte)'x', 0xFF, (byte)'\n']);
        var error = Assert.Throws<TranscriptEncodingException>(() => TranscriptNormalizer.ReadLines(new MemoryStream(bytes.ToArray())).ToList());
        Assert.Equal(100_001 + 3 + 1, error.ByteOffset);
    }

    [Fact]
    public void ReadLines_reads_lines_longer_than_its_buffer()
    {
        var longLine = string.Concat(Enumerable.Repeat("word ", 50_000));
        var lines = TranscriptNormalizer.ReadLines(new MemoryStream(Encoding.UTF8.GetBytes(longLine + "\nend\n"))).ToList();
        Assert.Equal([longLine, "end"], lines);
    }
}
