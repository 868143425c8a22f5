using CustomModels.Speech.Scoring;

namespace CustomModels.Speech.Tests.Scoring;

public class PairedBootstrapTests
{
    // 40 utterances of 10 words: system A errs once in each, system B four times in every other one.
    static readonly ErrorCounts[] A = Enumerable.Range(0, 40).Select(_ => new ErrorCounts(1, 0, 0, 10)).ToArray();
    static readonly ErrorCounts[] B = Enumerable.Range(0, 40).Select(i => new ErrorCounts(i % 2 == 0 ? 4 : 0, 0, 0, 10)).ToArray();

    [Fact]
    public void The_difference_is_the_corpus_rates_difference_in_points_and_the_interval_contains_it()
    {
        var result = PairedBootstrap.Compare(A, B);
        Assert.Equal(10.0 - 20.0, result.Difference, 9);
        Assert.InRange(result.Difference, result.Lower, result.Upper);
        Assert.True(result.Lower < result.Upper);
        Assert.True(result.Resamples >= 1000);
        Assert.Equal(0.95, result.Confidence);
    }

    [Fact]
    public void A_fixed_seed_gives_the_same_interval_and_another_seed_another()
    {
        // Utterances of different lengths and error counts, so that the resampled differences take many values.
        var a = Enumerable.Range(0, 60).Select(i => new ErrorCounts(i % 3, i % 2, 0, 5 + i % 7)).ToArray();
        var b = Enumerable.Range(0, 60).Select(i => new ErrorCounts(i * 5 % 4, 0, i % 5 == 0 ? 1 : 0, 5 + i % 7)).ToArray();
        var first = PairedBootstrap.Compare(a, b, seed: 5);
        var again = PairedBootstrap.Compare(a, b, seed: 5);
        Assert.Equal(first, again);
        var other = PairedBootstrap.Compare(a, b, seed: 6);
        Assert.NotEqual((first.Lower, first.Upper), (other.Lower, other.Upper));
    }

    [Fact]
    public void A_clearly_better_system_has_an_interval_below_zero_and_identical_systems_zero()
    {
        var result = PairedBootstrap.Compare(A, B);
        Assert.True(result.Upper < 0, $"interval [{result.Lower}, {result.Upper}]");
        var same = PairedBootstrap.Compare(A, A);
        Assert.Equal((0.0, 0.0, 0.0), (same.Difference, same.Lower, same.Upper));
    }

    [Fact]
    public void The_interval_is_about_as_wide_as_the_normal_approximation_says()
    {
        // B's per-utterance rate is 0 or 0.4 with equal odds, A's always 0.1: the difference of the
        // means has standard deviation 0.2 / sqrt(40) = 3.16 points, so a 95% interval of about ±6.2.
        var result = PairedBootstrap.Compare(A, B);
        Assert.InRange(result.Upper - result.Lower, 2 * 6.2 * 0.85, 2 * 6.2 * 1.15);
    }
}
