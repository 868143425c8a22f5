using System.Globalization;
using System.Text;
using CustomModels.Speech.LanguageModel;

namespace CustomModels.Speech.Tests.LanguageModel;

/// <summary>The ARPA writer's own float formatting must give exactly the runtime's "R" text.</summary>
public class ShortestFloatTextTests
{
    [Theory]
    [InlineData(-1f)] // [-1, -0.5): the bulk of a model's log10 probabilities
    [InlineData(0.0001220703125f)] // [2^-13, 2^-12): the smallest of the fast range, its largest intermediate numbers
    [InlineData(262144f)] // [2^18, 2^19): the largest of the fast range
    public void Every_float_of_a_binade_is_written_as_the_runtime_writes_it(float first)
    {
        var firstBits = BitConverter.SingleToUInt32Bits(first);
        var mismatches = new List<string>();
        for (var mantissa = 0u; mantissa < 1u << 23; mantissa++)
        {
            var value = BitConverter.UInt32BitsToSingle(firstBits | mantissa);
            if (Mismatch(value) is { } mismatch && mismatches.Count < 10) mismatches.Add(mismatch);
        }
        Assert.Empty(mismatches);
    }

    [Fact]
    public void Random_floats_of_every_magnitude_are_written_as_the_runtime_writes_them()
    {
        var random = new Random(5);
        var mismatches = new List<string>();
        for (var i = 0; i < 2_000_000; i++)
        {
            var value = BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32));
            if (!float.IsFinite(value)) continue;
            if (Mismatch(value) is { } mismatch && mismatches.Count < 10) mismatches.Add(mismatch);
        }
        Assert.Empty(mismatches);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-99f)]
    [InlineData(1e-5f)] // written with an exponent
    [InlineData(-1.5e-5f)]
    [InlineData(1e9f)]
    [InlineData(float.Epsilon)]
    [InlineData(float.MaxValue)]
    [InlineData(-0.30103f)]
    [InlineData(0.5f)]
    [InlineData(524287.97f)]
    public void Edge_values_are_written_as_the_runtime_writes_them(float value) => Assert.Null(Mismatch(value));

    [Fact]
    public void Negative_zero_is_written_as_the_runtime_writes_it() => Assert.Null(Mismatch(-0f)); // an InlineData would equal 0f

    [Fact]
    public void Every_number_of_an_estimated_model_is_written_as_the_runtime_writes_it()
    {
        var model = KneserNeyEstimator.Estimate(KneserNeyEstimatorTests.GeneratedCorpus(sentences: 2000, seed: 11), order: 4).Model;
        var values = Enumerable.Range(1, model.Order).SelectMany(model.NGrams).SelectMany(ngram => new[] { ngram.LogProbability, ngram.LogBackoff }).ToList();

        Assert.True(values.Count > 10_000, $"{values.Count} numbers");
        Assert.Empty(values.Select(Mismatch).OfType<string>().Take(10));
    }

    private static string? Mismatch(float value)
    {
        var expected = value.ToString("R", CultureInfo.InvariantCulture);
        Span<byte> text = stackalloc byte[ShortestFloatText.MaxLength];
        var actual = Encoding.ASCII.GetString(text[..ShortestFloatText.Format(value, text)]);
        return actual == expected ? null : $"{BitConverter.SingleToUInt32Bits(value):X8}: runtime {expected}, ours {actual}";
    }
}
