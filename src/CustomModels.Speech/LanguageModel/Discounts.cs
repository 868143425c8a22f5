namespace CustomModels.Speech.LanguageModel;

/// <summary>How many n-grams of one order have (adjusted) count 1, 2, 3 and 4.</summary>
public readonly record struct CountsOfCounts(long N1, long N2, long N3, long N4);

/// <summary>
/// The three modified Kneser-Ney discounts of one order (Chen &amp; Goodman 1998, eq. 26):
/// Y = n1 / (n1 + 2 n2), D1 = 1 − 2Y n2/n1, D2 = 2 − 3Y n3/n2, D3+ = 3 − 4Y n4/n3.
/// </summary>
/// <param name="IsFallback">
/// True when the counts-of-counts could not give discounts (a count of count 1, 2 or 3 is zero,
/// or a discount fell outside 0..k, as on tiny or artificial corpora); the discounts are then
/// 0.5, 1 and 1.5, the values of lmplz's --discount_fallback.
/// </param>
public sealed record KneserNeyDiscount(double D1, double D2, double D3Plus, bool IsFallback)
{
    public static readonly KneserNeyDiscount Fallback = new(0.5, 1.0, 1.5, IsFallback: true);

    public static KneserNeyDiscount FromCountsOfCounts(CountsOfCounts counts)
    {
        var (n1, n2, n3, n4) = counts;
        if (n1 == 0 || n2 == 0 || n3 == 0) return Fallback;
        var y = n1 / (n1 + 2.0 * n2);
        var d1 = 1 - 2 * y * n2 / n1;
        var d2 = 2 - 3 * y * n3 / n2;
        var d3 = 3 - 4 * y * n4 / n3;
        var inRange = d1 is >= 0 and <= 1 && d2 is >= 0 and <= 2 && d3 is >= 0 and <= 3;
        return inRange ? new KneserNeyDiscount(d1, d2, d3, IsFallback: false) : Fallback;
    }

    /// <summary>The amount taken from an n-gram seen <paramref name="count"/> times (0 for count 0).</summary>
    public double For(long count) => count switch
    {
        <= 0 => 0,
        1 => D1,
        2 => D2,
        _ => D3Plus,
    };
}
