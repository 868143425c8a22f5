using System.Globalization;
using System.Text;

namespace CustomModels.Speech.Text;

/// <summary>
/// The one text normalization used for language-model training, lexicon building and scoring,
/// so that a word means the same thing at every stage:
/// lower case (invariant); punctuation and symbols removed; apostrophes kept only inside words
/// ("don't", "patient's"; quotes around words dropped); hyphens and dashes split words
/// ("follow-up" is "follow up"); numbers spelled out in English ("25" is "twenty five", "2.5"
/// is "two point five", "1,200" is "one thousand two hundred", "3rd" is "third"); "%" is
/// "percent" and "&amp;" is "and"; a change between letters and digits splits words ("5mg" is
/// "five mg"); whitespace collapsed to single spaces.
/// </summary>
public static partial class TranscriptNormalizer
{
    /// <summary>The normalized words of <paramref name="text"/> joined by single spaces.</summary>
    public static string Normalize(string text) => string.Join(' ', Words(text));

    /// <summary>The normalized words of <paramref name="text"/>, in order.</summary>
    public static IReadOnlyList<string> Words(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = WithAsciiDigits(text.ToLowerInvariant());
        var words = new List<string>();
        var word = new StringBuilder();
        var i = 0;
        while (i < s.Length)
        {
            Rune.DecodeFromUtf16(s.AsSpan(i), out var rune, out var length);
            if (IsWordRune(rune))
            {
                word.Append(s, i, length);
                i += length;
                continue;
            }
            // A word in progress always ends in a letter, so this keeps "don't" and drops the quotes of 'word'.
            if (IsApostrophe(rune) && word.Length > 0 && IsWordRuneAt(s, i + length))
            {
                word.Append('\'');
                i += length;
                continue;
            }

            AddWord(words, word);
            if (IsAsciiDigit(rune.Value) || (rune.Value == '.' && i + 1 < s.Length && IsAsciiDigit(s[i + 1])))
            {
                i = ReadNumber(s, i, words);
                continue;
            }
            if (rune.Value == '%') words.Add("percent");
            else if (rune.Value == '&') words.Add("and");
            i += length;
        }
        AddWord(words, word);
        return words;
    }

    /// <summary>
    /// Reads a number starting at <paramref name="start"/> (a digit, or a '.' before a digit),
    /// adds its words and returns the index just after it.
    /// </summary>
    private static int ReadNumber(string s, int start, List<string> words)
    {
        var p = start;
        var integer = new StringBuilder();
        while (p < s.Length && IsAsciiDigit(s[p])) integer.Append(s[p++]);

        // Thousands separators: "1,200" and "12,345,678", but not "1,2" or "1,2345".
        if (integer.Length is >= 1 and <= 3)
        {
            while (p + 3 < s.Length && s[p] == ',' && IsAsciiDigit(s[p + 1]) && IsAsciiDigit(s[p + 2]) && IsAsciiDigit(s[p + 3])
                   && (p + 4 == s.Length || !IsAsciiDigit(s[p + 4])))
            {
                integer.Append(s, p + 1, 3);
                p += 4;
            }
        }

        var fraction = new StringBuilder();
        if (p + 1 < s.Length && s[p] == '.' && IsAsciiDigit(s[p + 1]))
        {
            p++;
            while (p < s.Length && IsAsciiDigit(s[p])) fraction.Append(s[p++]);
        }

        if (fraction.Length == 0 && integer.Length > 0 && HasOrdinalSuffix(s, p))
        {
            NumberWords.AddOrdinal(words, integer.ToString());
            return p + 2;
        }

        if (integer.Length > 0) NumberWords.AddCardinal(words, integer.ToString());
        if (fraction.Length > 0)
        {
            words.Add("point");
            NumberWords.AddDigits(words, fraction.ToString());
        }
        return p;
    }

    /// <summary>"st", "nd", "rd" or "th" right after the digits and not the start of a longer word ("5th", not "5thousand").</summary>
    private static bool HasOrdinalSuffix(string s, int p)
    {
        if (p + 2 > s.Length) return false;
        var suffix = s.AsSpan(p, 2);
        var isSuffix = suffix is "st" or "nd" or "rd" or "th";
        return isSuffix && !IsWordRuneAt(s, p + 2);
    }

    private static void AddWord(List<string> words, StringBuilder word)
    {
        if (word.Length == 0) return;
        words.Add(word.ToString());
        word.Clear();
    }

    private static bool IsWordRuneAt(string s, int index)
    {
        if (index >= s.Length) return false;
        Rune.DecodeFromUtf16(s.AsSpan(index), out var rune, out _);
        return IsWordRune(rune);
    }

    /// <summary>Letters, and the combining marks that belong to them (a decomposed "é").</summary>
    private static bool IsWordRune(Rune rune) =>
        Rune.IsLetter(rune) || Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark
            or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark;

    /// <summary>The typewriter apostrophe and the typographic ones word processors put in its place.</summary>
    private static bool IsApostrophe(Rune rune) => rune.Value is '\'' or '\u2019' or '\u2018' or '\u02BC';

    private static bool IsAsciiDigit(int c) => c is >= '0' and <= '9';

    /// <summary>Digits of other scripts ("٢٥", fullwidth "２５") become ASCII so they are spelled too.</summary>
    private static string WithAsciiDigits(string s)
    {
        var hasOtherDigits = false;
        foreach (var rune in s.EnumerateRunes())
        {
            if (rune.Value > 127 && Rune.IsDigit(rune))
            {
                hasOtherDigits = true;
                break;
            }
        }
        if (!hasOtherDigits) return s;

        var builder = new StringBuilder(s.Length);
        foreach (var rune in s.EnumerateRunes())
        {
            if (rune.Value > 127 && Rune.IsDigit(rune)) builder.Append((char)('0' + (int)Rune.GetNumericValue(rune)));
            else builder.Append(rune.ToString());
        }
        return builder.ToString();
    }
}
