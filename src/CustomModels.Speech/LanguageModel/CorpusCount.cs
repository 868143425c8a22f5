using System.Runtime.InteropServices;
using CustomModels.Speech.Text;

namespace CustomModels.Speech.LanguageModel;

/// <summary>
/// Stage 1 of estimation: the vocabulary and the raw n-gram counts.
/// Input: lines of text, one sentence a line, normalized here with <see cref="TranscriptNormalizer"/>;
/// lines with no words are skipped (a blank line is not a sentence to learn from).
/// Output: word ids (&lt;unk&gt; 0, &lt;s&gt; 1, &lt;/s&gt; 2, then the words in ordinal order, so that
/// sorting by id sorts alphabetically) and, per order, the raw counts of the n-grams that end at
/// each position of "&lt;s&gt; w1 … wm &lt;/s&gt;": those of the highest order, and the shorter ones cut
/// off by the sentence start ("&lt;s&gt; w1" for a trigram model), which keep raw counts in
/// Kneser-Ney because nothing can precede &lt;s&gt;.
/// </summary>
internal sealed class CorpusCount
{
    public const int UnknownId = 0;
    public const int SentenceStartId = 1;
    public const int SentenceEndId = 2;

    private CorpusCount(string[] vocabulary, Dictionary<UInt128, long>[] counts, long sentences, long words)
    {
        Vocabulary = vocabulary;
        Counts = counts;
        Sentences = sentences;
        Words = words;
    }

    public string[] Vocabulary { get; }

    /// <summary>Index order − 1. The highest order holds every n-gram; lower orders only those starting with &lt;s&gt;.</summary>
    public Dictionary<UInt128, long>[] Counts { get; }

    public long Sentences { get; }

    public long Words { get; }

    public static CorpusCount Run(IEnumerable<string> lines, int order)
    {
        var tokens = new Tokens();
        foreach (var line in lines) tokens.AddSentence(TranscriptNormalizer.Words(line));
        return Run(tokens, order);
    }

    /// <summary>As <see cref="Run(IEnumerable{string}, int)"/> on the lines of UTF-8 text, with the same result.</summary>
    /// <exception cref="TranscriptEncodingException">The text is not UTF-8.</exception>
    public static CorpusCount Run(Stream utf8Text, int order)
    {
        // Most lines of a corpus are plain ASCII words: those are split and looked up from their
        // bytes, without a string per line or word; any other line takes the string path.
        var tokens = new Tokens();
        var ranges = new List<Range>();
        TranscriptNormalizer.ForEachLine(utf8Text, (line, offset) =>
        {
            if (TranscriptNormalizer.TryAsciiWords(line, ranges)) tokens.AddSentence(line, ranges);
            else tokens.AddSentence(TranscriptNormalizer.Words(TranscriptNormalizer.DecodeLine(line, offset)));
        });
        return Run(tokens, order);
    }

    /// <summary>Pass 1: words to ids in order of appearance; the corpus kept as one array of ids.</summary>
    private sealed class Tokens
    {
        public readonly Dictionary<string, int> FirstSeenIds = new(StringComparer.Ordinal);
        public readonly List<string> FirstSeenWords = [];
        public readonly List<int> Ids = [];
        public readonly List<int> SentenceLengths = [];
        private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
        private char[] _word = new char[64];

        public Tokens() => _lookup = FirstSeenIds.GetAlternateLookup<ReadOnlySpan<char>>();

        public void AddSentence(IReadOnlyList<string> words)
        {
            if (words.Count == 0) return;
            foreach (var word in words) Ids.Add(IdOf(word));
            SentenceLengths.Add(words.Count);
        }

        /// <summary>A sentence of ASCII words given as ranges of <paramref name="line"/>, lower-cased here.</summary>
        public void AddSentence(ReadOnlySpan<byte> line, List<Range> words)
        {
            if (words.Count == 0) return;
            foreach (var range in words)
            {
                var bytes = line[range];
                if (bytes.Length > _word.Length) _word = new char[bytes.Length * 2];
                for (var i = 0; i < bytes.Length; i++) _word[i] = (char)(bytes[i] is >= (byte)'A' and <= (byte)'Z' ? bytes[i] | 0x20 : bytes[i]);
                Ids.Add(IdOf(_word.AsSpan(0, bytes.Length)));
            }
            SentenceLengths.Add(words.Count);
        }

        private int IdOf(ReadOnlySpan<char> word)
        {
            if (_lookup.TryGetValue(word, out var id)) return id;
            return IdOf(word.ToString());
        }

        private int IdOf(string word)
        {
            ref var id = ref CollectionsMarshal.GetValueRefOrAddDefault(FirstSeenIds, word, out var exists);
            if (!exists)
            {
                id = FirstSeenWords.Count;
                FirstSeenWords.Add(word);
            }
            return id;
        }
    }

    private static CorpusCount Run(Tokens pass1, int order)
    {
        var firstSeenWords = pass1.FirstSeenWords;
        var tokens = pass1.Ids;
        var sentenceLengths = pass1.SentenceLengths;
        if (tokens.Count == 0) throw new InvalidDataException("the training text has no words (after normalization every line is empty)");
        if (firstSeenWords.Count + 3 > PackedNGram.MaxVocabularySize)
            throw new InvalidDataException($"the training text has {firstSeenWords.Count} distinct words; at most {PackedNGram.MaxVocabularySize - 3} are supported");

        // Final ids: specials first, then the words sorted, so sections come out sorted.
        var sorted = firstSeenWords.ToArray();
        var sortedFirstSeenIds = Enumerable.Range(0, sorted.Length).ToArray();
        Array.Sort(sorted, sortedFirstSeenIds, StringComparer.Ordinal);
        var finalId = new int[sorted.Length];
        for (var i = 0; i < sorted.Length; i++) finalId[sortedFirstSeenIds[i]] = i + 3;
        var vocabulary = new string[sorted.Length + 3];
        vocabulary[UnknownId] = BackoffLanguageModel.Unknown;
        vocabulary[SentenceStartId] = BackoffLanguageModel.SentenceStart;
        vocabulary[SentenceEndId] = BackoffLanguageModel.SentenceEnd;
        sorted.CopyTo(vocabulary, 3);

        // Pass 2: count the n-gram ending at each position of every sentence.
        var counts = new Dictionary<UInt128, long>[order];
        for (var i = 0; i < order; i++) counts[i] = new Dictionary<UInt128, long>();
        var tokenSpan = CollectionsMarshal.AsSpan(tokens);
        var sentence = new List<int>();
        var offset = 0;
        foreach (var length in sentenceLengths)
        {
            sentence.Clear();
            sentence.Add(SentenceStartId);
            foreach (var id in tokenSpan.Slice(offset, length)) sentence.Add(finalId[id]);
            sentence.Add(SentenceEndId);
            offset += length;

            var padded = CollectionsMarshal.AsSpan(sentence);
            for (var end = 1; end < padded.Length; end++)
            {
                var ngramLength = Math.Min(order, end + 1);
                var key = PackedNGram.Pack(padded.Slice(end - ngramLength + 1, ngramLength));
                CollectionsMarshal.GetValueRefOrAddDefault(counts[ngramLength - 1], key, out _)++;
            }
        }

        return new CorpusCount(vocabulary, counts, sentenceLengths.Count, tokens.Count);
    }
}
