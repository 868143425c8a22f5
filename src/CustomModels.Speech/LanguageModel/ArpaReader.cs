using System.Globalization;
using System.Text;

namespace CustomModels.Speech.LanguageModel;

/// <summary>
/// Reads an ARPA language model (from lmplz, SRILM, or <see cref="ArpaWriter"/>). Lines before
/// \data\ are ignored; fields may be separated by tabs or spaces; blank lines may appear
/// anywhere; "-inf" reads as −99. Anything else that is not ARPA — a count that does not match
/// its section, a word of a higher order missing from the unigrams, a duplicate n-gram, a
/// missing \end\ — is an <see cref="ArpaFormatException"/> naming the line. A model without
/// &lt;unk&gt; gets one with log10 probability −100, as KenLM does, so unknown words still score.
/// </summary>
public static class ArpaReader
{
    private const float MissingUnknownLogProbability = -100f;

    /// <exception cref="ArpaFormatException">The file is not an ARPA model (or not UTF-8).</exception>
    public static BackoffLanguageModel Read(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream);
    }

    /// <exception cref="ArpaFormatException">The bytes are not an ARPA model (or not UTF-8).</exception>
    public static BackoffLanguageModel Read(Stream stream)
    {
        using var reader = new StreamReader(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true),
            detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        return Read(reader);
    }

    /// <exception cref="ArpaFormatException">The text is not an ARPA model.</exception>
    public static BackoffLanguageModel Read(TextReader reader) => new Parser(reader).Parse();

    private sealed class Parser(TextReader reader)
    {
        private int _lineNumber;
        private string? _line;

        private readonly List<string> _vocabulary = [];
        private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);

        public BackoffLanguageModel Parse()
        {
            while (NextLine() && _line!.Trim() != @"\data\") { }
            if (_line is null) throw Error(@"no \data\ line: this is not an ARPA file");

            var expectedCounts = ReadHeader();
            var order = expectedCounts.Count;
            var sections = new NGramSection[order];
            for (var n = 1; n <= order; n++)
            {
                if (_line is null) throw Error($@"the file ends before the \{n}-grams: section");
                if (_line.Trim() != $@"\{n}-grams:") throw Error($@"expected \{n}-grams:, found ""{Shorten(_line)}""");
                sections[n - 1] = ReadSection(n, order, expectedCounts[n - 1]);
            }
            if (_line is null) throw Error(@"the file ends without \end\");
            if (_line.Trim() != @"\end\") throw Error($@"expected \end\ after the {order}-grams, found ""{Shorten(_line)}""");

            if (!_ids.ContainsKey(BackoffLanguageModel.Unknown)) sections[0] = WithUnknownWord(sections[0], order);
            foreach (var special in new[] { BackoffLanguageModel.SentenceStart, BackoffLanguageModel.SentenceEnd })
            {
                if (!_ids.ContainsKey(special)) throw new ArpaFormatException(_lineNumber, $"the 1-grams have no {special}");
            }
            return new BackoffLanguageModel(_vocabulary.ToArray(), sections);
        }

        /// <summary>The "ngram N=count" lines; leaves the first section header in <see cref="_line"/>.</summary>
        private List<long> ReadHeader()
        {
            var counts = new List<long>();
            while (NextLineSkippingBlanks() && _line!.TrimStart().StartsWith("ngram ", StringComparison.Ordinal))
            {
                // Cut after what StartsWith saw: a bare "ngram " has nothing left once fully trimmed.
                var field = _line.TrimStart()["ngram ".Length..].Trim();
                var equals = field.IndexOf('=');
                if (equals < 0
                    || !int.TryParse(field.AsSpan(0, equals).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                    || !long.TryParse(field.AsSpan(equals + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var count))
                {
                    throw Error($@"expected ""ngram N=count"", found ""{Shorten(_line)}""");
                }
                if (n != counts.Count + 1) throw Error($"expected the count of {counts.Count + 1}-grams, found one for {n}-grams");
                if (n > PackedNGram.MaxOrder) throw Error($"{n}-gram models are not supported (at most {PackedNGram.MaxOrder})");
                counts.Add(count);
            }
            if (counts.Count == 0) throw Error(@"the \data\ header has no ""ngram 1=count"" line");
            return counts;
        }

        /// <summary>Reads the entries after a section header; leaves the next header in <see cref="_line"/>.</summary>
        private NGramSection ReadSection(int n, int order, long expectedCount)
        {
            var keys = new List<UInt128>();
            var lineNumbers = new List<int>();
            var logProbabilities = new List<float>();
            var logBackoffs = n < order ? new List<float>() : null;
            var lookup = _ids.GetAlternateLookup<ReadOnlySpan<char>>();
            Span<Range> fields = stackalloc Range[n + 3];

            while (NextLineSkippingBlanks() && !_line!.TrimStart().StartsWith('\\'))
            {
                var line = _line.AsSpan().Trim();
                var fieldCount = line.SplitAny(fields, " \t", StringSplitOptions.RemoveEmptyEntries);
                // Highest-order lines may carry a backoff column that no one uses; it is ignored.
                if (fieldCount != n + 1 && fieldCount != n + 2)
                    throw Error($"a {n}-gram line needs a log probability, {n} word{(n > 1 ? "s" : "")} and {(n < order ? "an optional" : "no")} backoff; found {fieldCount} fields");

                var logProbability = ParseLog(line[fields[0]], "log probability");
                if (logProbability > 0) throw Error($"log10 probability {logProbability} is above 0");

                UInt128 key = 0;
                for (var w = 1; w <= n; w++)
                {
                    var word = line[fields[w]];
                    int id;
                    if (n == 1)
                    {
                        if (_ids.ContainsKey(word.ToString())) throw Error($@"the word ""{word}"" appears twice in the 1-grams");
                        if (_vocabulary.Count >= PackedNGram.MaxVocabularySize) throw Error($"more than {PackedNGram.MaxVocabularySize} words are not supported");
                        id = _vocabulary.Count;
                        _vocabulary.Add(word.ToString());
                        _ids.Add(_vocabulary[id], id);
                    }
                    else if (!lookup.TryGetValue(word, out id))
                    {
                        throw Error($@"the word ""{word}"" of this {n}-gram is not among the 1-grams");
                    }
                    key = PackedNGram.Append(key, id);
                }

                keys.Add(key);
                lineNumbers.Add(_lineNumber);
                logProbabilities.Add(logProbability);
                logBackoffs?.Add(fieldCount == n + 2 ? ParseLog(line[fields[n + 1]], "backoff") : 0);
            }

            if (keys.Count != expectedCount)
                throw Error($@"the \{n}-grams: section has {keys.Count} entries but the \data\ header says {expectedCount}");
            return Sorted(n, keys, lineNumbers, logProbabilities, logBackoffs);
        }

        private NGramSection Sorted(int n, List<UInt128> keys, List<int> lineNumbers, List<float> logProbabilities, List<float>? logBackoffs)
        {
            var sortedKeys = keys.ToArray();
            var positions = Enumerable.Range(0, sortedKeys.Length).ToArray();
            Array.Sort(sortedKeys, positions);
            for (var i = 1; i < sortedKeys.Length; i++)
            {
                if (sortedKeys[i] == sortedKeys[i - 1])
                {
                    var first = Math.Min(lineNumbers[positions[i]], lineNumbers[positions[i - 1]]);
                    var second = Math.Max(lineNumbers[positions[i]], lineNumbers[positions[i - 1]]);
                    throw new ArpaFormatException(second, $"this {n}-gram is a duplicate of line {first}");
                }
            }
            var sortedProbabilities = positions.Select(p => logProbabilities[p]).ToArray();
            var sortedBackoffs = logBackoffs is null ? null : positions.Select(p => logBackoffs[p]).ToArray();
            return new NGramSection(sortedKeys, sortedProbabilities, sortedBackoffs);
        }

        private NGramSection WithUnknownWord(NGramSection unigrams, int order)
        {
            var id = _vocabulary.Count;
            _vocabulary.Add(BackoffLanguageModel.Unknown);
            _ids.Add(BackoffLanguageModel.Unknown, id);
            // The new id is the largest, so appending keeps the keys sorted.
            return new NGramSection(
                [.. unigrams.Keys, (UInt128)id],
                [.. unigrams.LogProbabilities, MissingUnknownLogProbability],
                order > 1 ? [.. unigrams.LogBackoffs!, 0f] : null);
        }

        private float ParseLog(ReadOnlySpan<char> text, string what)
        {
            if (text.Equals("-inf", StringComparison.OrdinalIgnoreCase) || text.Equals("-infinity", StringComparison.OrdinalIgnoreCase))
                return BackoffLanguageModel.ImpossibleLogProbability;
            if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !float.IsFinite(value))
                throw Error($@"the {what} ""{text}"" is not a number");
            return value;
        }

        private bool NextLine()
        {
            try
            {
                _line = reader.ReadLine();
            }
            catch (DecoderFallbackException)
            {
                throw new ArpaFormatException(_lineNumber + 1, "the text is not UTF-8");
            }
            if (_line is null) return false;
            _lineNumber++;
            return true;
        }

        private bool NextLineSkippingBlanks()
        {
            while (NextLine())
            {
                if (!string.IsNullOrWhiteSpace(_line)) return true;
            }
            return false;
        }

        private ArpaFormatException Error(string reason) => new(_line is null ? _lineNumber + 1 : _lineNumber, reason);

        private static string Shorten(string line) => line.Length <= 60 ? line : line[..60] + "…";
    }
}
