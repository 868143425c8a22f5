namespace CustomModels.Speech.Text;

/// <summary>
/// Spells digit strings as English words the way a reader says them aloud, so that "25" in a
/// transcript matches "twenty five" in a decoder's output: no hyphens and no "and"
/// ("105" is "one hundred five").
/// </summary>
internal static class NumberWords
{
    private static readonly string[] Ones =
    [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
        "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    ];

    private static readonly string[] Tens =
        ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

    // Short scale, as in American and modern British English.
    private static readonly string[] Scales = ["", "thousand", "million", "billion", "trillion"];

    /// <summary>Digit strings longer than this are read digit by digit (no scale word beyond trillions).</summary>
    private const int MaxCardinalDigits = 15;

    /// <summary>
    /// Adds the words of a whole number written with ASCII digits only. A number with a leading
    /// zero ("007") or too long to have a name is read digit by digit, as people read codes.
    /// </summary>
    public static void AddCardinal(List<string> words, ReadOnlySpan<char> digits)
    {
        if (digits.Length > MaxCardinalDigits || (digits.Length > 1 && digits[0] == '0'))
        {
            AddDigits(words, digits);
            return;
        }

        var value = ulong.Parse(digits, provider: System.Globalization.CultureInfo.InvariantCulture);
        if (value == 0)
        {
            words.Add(Ones[0]);
            return;
        }

        // Groups of three digits, most significant first.
        Span<int> groups = stackalloc int[Scales.Length];
        var groupCount = 0;
        for (var rest = value; rest > 0; rest /= 1000) groups[groupCount++] = (int)(rest % 1000);
        for (var scale = groupCount - 1; scale >= 0; scale--)
        {
            if (groups[scale] == 0) continue;
            AddBelowThousand(words, groups[scale]);
            if (scale > 0) words.Add(Scales[scale]);
        }
    }

    /// <summary>Adds the words of an ordinal ("21" + "st" is "twenty first").</summary>
    public static void AddOrdinal(List<string> words, ReadOnlySpan<char> digits)
    {
        AddCardinal(words, digits);
        words[^1] = OrdinalOf(words[^1]);
    }

    /// <summary>Adds one word per digit: the fractional part of "2.50" is "five zero".</summary>
    public static void AddDigits(List<string> words, ReadOnlySpan<char> digits)
    {
        foreach (var digit in digits) words.Add(Ones[digit - '0']);
    }

    private static void AddBelowThousand(List<string> words, int value)
    {
        if (value >= 100)
        {
            words.Add(Ones[value / 100]);
            words.Add("hundred");
            value %= 100;
        }
        if (value >= 20)
        {
            words.Add(Tens[value / 10]);
            value %= 10;
            if (value > 0) words.Add(Ones[value]);
        }
        else if (value > 0)
        {
            words.Add(Ones[value]);
        }
    }

    private static string OrdinalOf(string cardinal) => cardinal switch
    {
        "one" => "first",
        "two" => "second",
        "three" => "third",
        "five" => "fifth",
        "eight" => "eighth",
        "nine" => "ninth",
        "twelve" => "twelfth",
        _ when cardinal.EndsWith('y') => string.Concat(cardinal.AsSpan(0, cardinal.Length - 1), "ieth"),
        _ => cardinal + "th",
    };
}
