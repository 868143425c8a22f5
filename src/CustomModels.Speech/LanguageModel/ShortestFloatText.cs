using System.Globalization;

namespace CustomModels.Speech.LanguageModel;

/// <summary>
/// The text <c>float.TryFormat(…, "R", CultureInfo.InvariantCulture)</c> gives, byte for byte, in a
/// fraction of its time for the numbers a language model is made of (log10 probabilities and
/// backoffs, 0.000122 ≤ |x| &lt; 524288, written without an exponent); every other value, and the
/// rare value whose shortest text is ambiguous (a tie between two candidates, or a candidate exactly
/// on the edge of the values that read back as x), is formatted by the runtime.
/// </summary>
/// <remarks>
/// The runtime's "R" text of a float is the decimal with the fewest significant digits that lies
/// strictly between the midpoints to x's neighbouring floats (so it reads back as x), and of those
/// the one closest to x. Here both candidates of a digit position (x rounded down and up) are
/// checked with exact integer arithmetic: with x = m·2^e, the midpoints are (4m ± 2)·2^(e−2)
/// (4m − 1 below a power of two, whose lower neighbour is closer), and a candidate D·10^p is
/// compared with them after multiplying both sides by 2^(2−e)·10^max(0, −p), which makes every
/// quantity an integer. In the fast range these stay below 2^63 (the largest, 4m·10^11 for
/// |x| just under 2^−12, is 1.45·2^62), so 64-bit arithmetic is exact.
/// </remarks>
internal static class ShortestFloatText
{
    /// <summary>Longest text of a float: "-1.2345678E-38".</summary>
    public const int MaxLength = 16;

    // Binary exponents (of x = 1.f·2^exponent) of the fast range: 2^-13 ≤ |x| < 2^19.
    private const int MinExponent = -13;
    private const int MaxExponent = 18;

    private static readonly ulong[] PowersOfTen = Enumerable.Range(0, 20).Select(p => (ulong)Math.Pow(10, p)).ToArray();

    /// <summary>
    /// Per binary exponent of the fast range, and whether x is a power of two: the largest p with
    /// 10^p no wider than the interval of values that read back as x (2^e, or 3/4 of it below a
    /// power of two). 2^a·3 is never a power of ten, so the logarithm is never near an integer.
    /// </summary>
    private static readonly int[] LargestFittingPower = Enumerable.Range(0, 2 * (MaxExponent - MinExponent + 1))
        .Select(i => (int)Math.Floor(Math.Log10(Math.Pow(2, MinExponent + i / 2 - 23) * (i % 2 == 1 ? 0.75 : 1)))).ToArray();

    /// <summary>Writes the text of <paramref name="value"/> (finite) to <paramref name="destination"/> (at least <see cref="MaxLength"/> bytes); returns its length.</summary>
    public static int Format(float value, Span<byte> destination)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (bits == 0)
        {
            destination[0] = (byte)'0';
            return 1;
        }
        var exponent = (int)((bits >> 23) & 0xFF) - 127;
        if (exponent is >= MinExponent and <= MaxExponent && TryFormatInRange(bits, exponent, destination, out var length)) return length;
        if (!value.TryFormat(destination, out var written, "R", CultureInfo.InvariantCulture))
            throw new InvalidOperationException($"internal error: {value} is longer than {MaxLength} characters");
        return written;
    }

    private static bool TryFormatInRange(uint bits, int exponent, Span<byte> destination, out int length)
    {
        length = 0;
        var mantissa = (bits & 0x7FFFFF) | 0x800000; // x = mantissa · 2^e
        var e = exponent - 23;
        var shift = 2 - e; // 2^shift turns quarter units of 2^e into integers
        var x = 4UL * mantissa;
        var low = (bits & 0x7FFFFF) == 0 ? x - 1 : x - 2;
        var high = x + 2;

        // A multiple of 10^p with 10^p no wider than the interval always lies in it or on its
        // edge; one multiple of 10^(p+1) may lie in it, and then it is the shorter text.
        var absolute = (double)BitConverter.UInt32BitsToSingle(bits & 0x7FFFFFFF);
        var p = LargestFittingPower[2 * (exponent - MinExponent) + ((bits & 0x7FFFFF) == 0 ? 1 : 0)] + 1;
        for (var attempt = 0; attempt < 2; attempt++, p--)
        {
            // Compare D·10^p with a quarter-unit count q as D·10^max(p,0)·2^shift against q·10^max(−p,0).
            var scaleUp = p < 0 ? PowersOfTen[-p] : 1UL;
            var scaleCandidate = p > 0 ? PowersOfTen[p] : 1UL;
            var xScaled = x * scaleUp;
            var lowScaled = low * scaleUp;
            var highScaled = high * scaleUp;

            // x / 10^p rounded down, estimated in floating point and corrected exactly.
            var down = (ulong)(p < 0 ? absolute * PowersOfTen[-p] : absolute / PowersOfTen[p]);
            while (down > 0 && Candidate(down, scaleCandidate, shift) > xScaled) down--;
            while (Candidate(down + 1, scaleCandidate, shift) <= xScaled) down++;

            var downValue = Candidate(down, scaleCandidate, shift);
            var upValue = Candidate(down + 1, scaleCandidate, shift);
            if (downValue == lowScaled || upValue == highScaled) return false; // on an edge: leave it to the runtime
            var downInside = down > 0 && downValue > lowScaled;
            var upInside = upValue < highScaled;
            if (!downInside && !upInside) continue;

            ulong digits;
            if (downInside && upInside)
            {
                var belowBy = xScaled - downValue;
                var aboveBy = upValue - xScaled;
                if (belowBy == aboveBy) return false; // a tie: leave it to the runtime
                digits = belowBy < aboveBy ? down : down + 1;
            }
            else digits = downInside ? down : down + 1;

            length = Write((bits >> 31) != 0, digits, p, destination);
            return true;
        }
        return false;
    }

    private static ulong Candidate(ulong digits, ulong scale, int shift) => (digits * scale) << shift;

    /// <summary>Writes ±digits·10^power without an exponent, as the runtime does for 10^−5 &lt; |x| &lt; 10^9.</summary>
    private static int Write(bool negative, ulong digits, int power, Span<byte> destination)
    {
        while (digits % 10 == 0)
        {
            digits /= 10;
            power++;
        }
        Span<byte> text = stackalloc byte[20];
        var count = 0;
        for (var d = digits; d > 0; d /= 10) text[^++count] = (byte)('0' + d % 10);
        var significant = text[^count..];

        var position = 0;
        if (negative) destination[position++] = (byte)'-';
        var integerDigits = count + power; // digits before the decimal point
        if (integerDigits <= 0)
        {
            destination[position++] = (byte)'0';
            destination[position++] = (byte)'.';
            for (var i = 0; i < -integerDigits; i++) destination[position++] = (byte)'0';
            significant.CopyTo(destination[position..]);
            return position + count;
        }
        if (integerDigits >= count)
        {
            significant.CopyTo(destination[position..]);
            position += count;
            for (var i = 0; i < integerDigits - count; i++) destination[position++] = (byte)'0';
            return position;
        }
        significant[..integerDigits].CopyTo(destination[position..]);
        position += integerDigits;
        destination[position++] = (byte)'.';
        significant[integerDigits..].CopyTo(destination[position..]);
        return position + count - integerDigits;
    }
}
