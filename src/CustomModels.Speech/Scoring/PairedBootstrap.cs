namespace CustomModels.Speech.Scoring;

/// <summary>
/// A difference of corpus word error rates, system A − system B, in percentage points, with its
/// confidence interval: negative means A makes fewer errors.
/// </summary>
public sealed record ErrorRateDifference(double Difference, double Lower, double Upper, double Confidence, int Resamples, ulong Seed);

/// <summary>
/// Paired bootstrap over utterances (Koehn 2004; Bisani and Ney 2004): the evaluation set is
/// resampled with replacement, both systems scored on the same resample, and the interval is the
/// middle 95% of the resampled differences (percentile method). Deterministic: the resamples come
/// from SplitMix64 with a fixed seed, not from System.Random, whose sequence is not promised across .NET versions.
/// </summary>
public static class PairedBootstrap
{
    public const int DefaultResamples = 10_000;
    public const ulong DefaultSeed = 17;
    public const double Confidence = 0.95;

    /// <summary>
    /// WER(A) − WER(B) on the whole set and its 95% interval. <paramref name="a"/> and <paramref name="b"/>
    /// are the counts of the same utterances, in the same order. With no utterances there is nothing to
    /// compare: the difference and its interval are 0.
    /// </summary>
    public static ErrorRateDifference Compare(IReadOnlyList<ErrorCounts> a, IReadOnlyList<ErrorCounts> b,
        int resamples = DefaultResamples, ulong seed = DefaultSeed)
    {
        if (a.Count != b.Count) throw new ArgumentException("both systems must be scored on the same utterances");
        ArgumentOutOfRangeException.ThrowIfLessThan(resamples, 1);
        var n = a.Count;
        var point = Percent(ErrorCounts.Sum(a).Rate - ErrorCounts.Sum(b).Rate);
        if (n == 0) return new ErrorRateDifference(0, 0, 0, Confidence, resamples, seed);

        var differences = new double[resamples];
        var state = seed;
        for (var r = 0; r < resamples; r++)
        {
            int errorsA = 0, errorsB = 0, words = 0;
            for (var k = 0; k < n; k++)
            {
                var i = (int)Math.BigMul(SplitMix64(ref state), (ulong)n, out _); // uniform in [0, n)
                errorsA += a[i].Errors;
                errorsB += b[i].Errors;
                words += a[i].ReferenceLength;
            }
            // Only the totals matter to the rate, so the errors are counted as substitutions.
            differences[r] = Percent(new ErrorCounts(errorsA, 0, 0, words).Rate - new ErrorCounts(errorsB, 0, 0, words).Rate);
        }
        Array.Sort(differences);
        var tail = (1 - Confidence) / 2;
        var lower = differences[(int)Math.Floor(tail * resamples)];
        var upper = differences[Math.Min(resamples - 1, (int)Math.Ceiling((1 - tail) * resamples) - 1)];
        return new ErrorRateDifference(point, lower, upper, Confidence, resamples, seed);
    }

    static double Percent(double rate) => rate * 100;

    static ulong SplitMix64(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
