using System.Collections.Frozen;
using System.Runtime.InteropServices;

namespace CustomModels.Speech.LanguageModel;

/// <summary>One n-gram of a model: its words, log10 probability and log10 backoff weight (0 when it is never a context).</summary>
public sealed record NGram(IReadOnlyList<string> Words, float LogProbability, float LogBackoff);

/// <summary>
/// An n-gram backoff language model, as an ARPA file holds it: log10 p(w | c) for the stored
/// n-grams, and for the rest p(w | c) = b(c) p(w | c without its first word).
/// Immutable once built, so one instance can be shared by every thread.
/// </summary>
public sealed class BackoffLanguageModel
{
    public const string SentenceStart = "<s>";
    public const string SentenceEnd = "</s>";
    public const string Unknown = "<unk>";

    /// <summary>The ARPA convention for a probability of 0 (log10 would be −∞): the unigram &lt;s&gt;, which is never predicted.</summary>
    public const float ImpossibleLogProbability = -99f;

    private readonly string[] _vocabulary;
    private FrozenDictionary<string, int>? _ids;
    private readonly NGramSection[] _sections;
    private readonly int _unknownId;
    private readonly int _sentenceStartId;
    private readonly int _sentenceEndId;

    /// <param name="vocabulary">Word of each id; every id is a unigram of <paramref name="sections"/>.</param>
    /// <param name="sections">Index order − 1.</param>
    internal BackoffLanguageModel(string[] vocabulary, NGramSection[] sections)
    {
        _vocabulary = vocabulary;
        _sections = sections;
        _unknownId = IdOrThrow(Unknown);
        _sentenceStartId = IdOrThrow(SentenceStart);
        _sentenceEndId = IdOrThrow(SentenceEnd);
    }

    public int Order => _sections.Length;

    /// <summary>The words of the model, &lt;unk&gt;, &lt;s&gt; and &lt;/s&gt; included.</summary>
    public IReadOnlyList<string> Vocabulary => _vocabulary;

    public bool Contains(string word) => Ids.ContainsKey(word);

    /// <summary>How many n-grams of <paramref name="order"/> (1-based) the model stores.</summary>
    public int NGramCount(int order) => Section(order).Count;

    /// <summary>The n-grams of one order in the model's sort order (by word id).</summary>
    public IEnumerable<NGram> NGrams(int order)
    {
        var section = Section(order);
        var ids = new int[order];
        for (var i = 0; i < section.Count; i++)
        {
            PackedNGram.Unpack(section.Keys[i], ids);
            yield return new NGram(ids.Select(id => _vocabulary[id]).ToArray(), section.LogProbabilities[i], section.LogBackoff(i));
        }
    }

    /// <summary>The stored entry for these words, if the model has that exact n-gram.</summary>
    public bool TryGetNGram(IReadOnlyList<string> words, out float logProbability, out float logBackoff)
    {
        logProbability = logBackoff = 0;
        if (words.Count < 1 || words.Count > Order) return false;
        UInt128 key = 0;
        foreach (var word in words)
        {
            if (!Ids.TryGetValue(word, out var id)) return false;
            key = PackedNGram.Append(key, id);
        }
        var section = _sections[words.Count - 1];
        var index = section.IndexOf(key);
        if (index < 0) return false;
        logProbability = section.LogProbabilities[index];
        logBackoff = section.LogBackoff(index);
        return true;
    }

    /// <summary>
    /// log10 p(<paramref name="word"/> | <paramref name="context"/>), the context oldest word first
    /// (start it with &lt;s&gt; for the beginning of a sentence). Unknown words are &lt;unk&gt;.
    /// </summary>
    public double LogProbability(IReadOnlyList<string> context, string word)
    {
        var history = context.Select(IdOf).ToArray();
        return LogProbability(history, IdOf(word));
    }

    /// <summary>
    /// log10 probability of each word of a sentence and of the sentence end, from the sentence
    /// start; the words are taken as they are (normalize them first).
    /// </summary>
    public SentenceScore ScoreSentence(IReadOnlyList<string> words)
    {
        var logProbabilities = new double[words.Count + 1];
        var history = new List<int>(words.Count + 2) { _sentenceStartId };
        var unknownWords = 0;
        for (var i = 0; i <= words.Count; i++)
        {
            int id;
            if (i == words.Count)
            {
                id = _sentenceEndId;
            }
            else
            {
                id = IdOf(words[i]);
                if (id == _unknownId) unknownWords++;
            }
            var contextLength = Math.Min(history.Count, Order - 1);
            logProbabilities[i] = LogProbability(CollectionsMarshal.AsSpan(history)[^contextLength..], id);
            history.Add(id);
        }
        return new SentenceScore(logProbabilities, unknownWords);
    }

    internal NGramSection Section(int order)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(order, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(order, Order);
        return _sections[order - 1];
    }

    internal int IdOf(string word) => Ids.TryGetValue(word, out var id) ? id : _unknownId;

    /// <summary>
    /// Word → id, built on the first look-up: `lm build` writes a model without ever looking a
    /// word up, and building the table is a good part of a millisecond per thousand words.
    /// Two threads may both build it; they build the same table.
    /// </summary>
    private FrozenDictionary<string, int> Ids =>
        _ids ??= _vocabulary.Select((word, id) => KeyValuePair.Create(word, id)).ToFrozenDictionary(StringComparer.Ordinal);

    internal bool IsUnknown(int id) => id == _unknownId;

    /// <summary>
    /// Backoff lookup: the longest stored n-gram ending in <paramref name="word"/>, plus the
    /// backoff weights of the longer contexts that were not followed by it.
    /// </summary>
    internal double LogProbability(ReadOnlySpan<int> history, int word)
    {
        if (history.Length > Order - 1) history = history[^(Order - 1)..];
        double backoff = 0;
        for (var contextLength = history.Length; contextLength >= 0; contextLength--)
        {
            var context = PackedNGram.Pack(history[^contextLength..]);
            var index = _sections[contextLength].IndexOf(PackedNGram.Append(context, word));
            if (index >= 0) return _sections[contextLength].LogProbabilities[index] + backoff;
            if (contextLength > 0)
            {
                var contextIndex = _sections[contextLength - 1].IndexOf(context);
                if (contextIndex >= 0) backoff += _sections[contextLength - 1].LogBackoff(contextIndex);
            }
        }
        throw new InvalidOperationException($"internal error: word id {word} has no unigram");
    }

    /// <summary>
    /// What <see cref="LogProbability(ReadOnlySpan{int}, int)"/> looks up about a history, looked up
    /// once for scoring many words after it (<see cref="LogProbability(HistoryLookup, int)"/>).
    /// </summary>
    internal HistoryLookup LookUpHistory(ReadOnlySpan<int> history)
    {
        if (history.Length > Order - 1) history = history[^(Order - 1)..];
        var lookup = new HistoryLookup(history.Length + 1);
        double backoff = 0;
        for (var contextLength = history.Length; contextLength >= 0; contextLength--)
        {
            var context = PackedNGram.Pack(history[^contextLength..]);
            lookup.Contexts[contextLength] = context;
            (lookup.Starts[contextLength], lookup.Ends[contextLength]) = _sections[contextLength].Continuations(context);
            lookup.BackoffsAbove[contextLength] = backoff;
            if (contextLength > 0)
            {
                var contextIndex = _sections[contextLength - 1].IndexOf(context);
                if (contextIndex >= 0) backoff += _sections[contextLength - 1].LogBackoff(contextIndex);
            }
        }
        return lookup;
    }

    /// <summary>
    /// log10 p(<paramref name="word"/> | the looked-up history): the same figure as
    /// <see cref="LogProbability(ReadOnlySpan{int}, int)"/>, each order searched only among the
    /// n-grams that continue its context.
    /// </summary>
    internal double LogProbability(HistoryLookup history, int word)
    {
        for (var contextLength = history.Starts.Length - 1; contextLength >= 0; contextLength--)
        {
            var (start, end) = (history.Starts[contextLength], history.Ends[contextLength]);
            if (start == end) continue;
            var index = PackedNGram.IndexOf(_sections[contextLength].Keys.AsSpan(start, end - start),
                PackedNGram.Append(history.Contexts[contextLength], word));
            if (index >= 0) return _sections[contextLength].LogProbabilities[start + index] + history.BackoffsAbove[contextLength];
        }
        throw new InvalidOperationException($"internal error: word id {word} has no unigram");
    }

    /// <summary>
    /// A history's contexts, longest last: for each context length, the packed context, where the
    /// n-grams that continue it lie in the section of the next order, and the sum of the backoff
    /// weights of the longer contexts (what a word found at that order is charged).
    /// </summary>
    internal sealed class HistoryLookup(int contexts)
    {
        public UInt128[] Contexts { get; } = new UInt128[contexts];
        public int[] Starts { get; } = new int[contexts];
        public int[] Ends { get; } = new int[contexts];
        public double[] BackoffsAbove { get; } = new double[contexts];
    }

    private int IdOrThrow(string word) =>
        Array.IndexOf(_vocabulary, word) is var id and >= 0 ? id : throw new ArgumentException($"the model has no {word} unigram");
}

/// <summary>log10 probability of each word of a sentence and then of &lt;/s&gt;; how many of the words were not in the vocabulary.</summary>
public sealed record SentenceScore(IReadOnlyList<double> LogProbabilities, int UnknownWords)
{
    public double TotalLogProbability => LogProbabilities.Sum();
}
