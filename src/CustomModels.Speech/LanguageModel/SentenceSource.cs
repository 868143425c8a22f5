using System.Text;
using CustomModels.Speech.Text;

namespace CustomModels.Speech.LanguageModel;

/// <summary>
/// One sentence's normalized words as UTF-8 bytes: word k is <see cref="Word"/>(k). The instance
/// is reused from sentence to sentence; its contents are valid until the next one.
/// </summary>
internal sealed class SentenceWords
{
    private byte[] _bytes = new byte[256];
    private int[] _bounds = new int[64];

    public int Count { get; private set; }

    public ReadOnlySpan<byte> Word(int k) => _bytes.AsSpan(_bounds[2 * k], _bounds[2 * k + 1] - _bounds[2 * k]);

    /// <summary>
    /// The line's words if it is plain ASCII words (<see cref="TranscriptNormalizer.AsciiWordBounds"/>),
    /// lower-cased here, without a string per line or word; false if the line needs <see cref="Set"/>.
    /// </summary>
    public bool TrySetAscii(ReadOnlySpan<byte> line)
    {
        if (_bounds.Length < line.Length + 1) _bounds = new int[(line.Length + 1) * 2];
        if (_bytes.Length < line.Length) _bytes = new byte[line.Length * 2];
        var count = TranscriptNormalizer.AsciiWordBounds(line, _bounds);
        if (count < 0) return false;
        for (var i = 0; i < line.Length; i++) _bytes[i] = line[i] is >= (byte)'A' and <= (byte)'Z' ? (byte)(line[i] | 0x20) : line[i];
        Count = count;
        return true;
    }

    public void Set(IReadOnlyList<string> words)
    {
        if (_bounds.Length < 2 * words.Count) _bounds = new int[4 * words.Count];
        var position = 0;
        for (var k = 0; k < words.Count; k++)
        {
            var needed = Encoding.UTF8.GetMaxByteCount(words[k].Length);
            if (position + needed > _bytes.Length) Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, position + needed));
            _bounds[2 * k] = position;
            position += Encoding.UTF8.GetBytes(words[k], _bytes.AsSpan(position));
            _bounds[2 * k + 1] = position;
        }
        Count = words.Count;
    }
}

/// <summary>
/// Training text that estimation reads twice (the vocabulary first, then the n-grams), one
/// sentence at a time, normalized with the transcript rules; sentences with no words are skipped.
/// Only the current sentence is held.
/// </summary>
internal abstract class SentenceSource
{
    /// <summary>How many lines between two looks at the cancellation token and the progress callback.</summary>
    protected const int CheckEvery = 4096;

    /// <summary>Calls <paramref name="action"/> for every sentence, in order; reports the fraction of the text read so far.</summary>
    public abstract void ForEach(Action<SentenceWords> action, Action<double>? progress, CancellationToken ct);

    /// <summary>
    /// The lines of a seekable UTF-8 stream from its current position (a byte order mark dropped);
    /// a line longer than <see cref="MaxSentenceBytes"/> is cut into sentences of at most that length.
    /// </summary>
    public static SentenceSource FromUtf8(Stream text) => new Utf8Source(text);

    /// <summary>Lines as strings; <paramref name="lines"/> is enumerated once per pass.</summary>
    public static SentenceSource FromLines(IEnumerable<string> lines) => new LineSource(lines);

    /// <summary>Sentences already split into tokens, taken as they are (no normalization): a graphone corpus. Enumerated once per pass.</summary>
    public static SentenceSource FromTokens(IEnumerable<IReadOnlyList<string>> sentences) => new TokenSource(sentences);

    /// <summary>
    /// The longest sentence read from a stream: a longer line becomes several sentences (cut
    /// between words), so that no line, however long, is held whole or costs more than linear time.
    /// </summary>
    public const int MaxSentenceBytes = 16 * 1024;

    private sealed class Utf8Source : SentenceSource
    {
        private readonly Stream _text;
        private readonly long _start;
        private readonly long _length;

        public Utf8Source(Stream text)
        {
            if (!text.CanSeek) throw new ArgumentException("the text is read twice: the stream must be seekable", nameof(text));
            _text = text;
            _start = text.Position;
            _length = Math.Max(1, text.Length - _start);
        }

        public override void ForEach(Action<SentenceWords> action, Action<double>? progress, CancellationToken ct)
        {
            _text.Position = _start;
            var words = new SentenceWords();
            var lines = 0;
            TranscriptNormalizer.ForEachLine(_text, (line, offset) =>
            {
                if (++lines % CheckEvery == 0)
                {
                    ct.ThrowIfCancellationRequested();
                    progress?.Invoke(Math.Min(1, (double)offset / _length));
                }
                if (!words.TrySetAscii(line)) words.Set(TranscriptNormalizer.Words(TranscriptNormalizer.DecodeLine(line, offset)));
                if (words.Count > 0) action(words);
            }, MaxSentenceBytes);
            progress?.Invoke(1);
        }
    }

    private sealed class LineSource(IEnumerable<string> lines) : SentenceSource
    {
        public override void ForEach(Action<SentenceWords> action, Action<double>? progress, CancellationToken ct) =>
            new TokenSource(lines.Select(TranscriptNormalizer.Words)).ForEach(action, progress, ct);
    }

    private sealed class TokenSource(IEnumerable<IReadOnlyList<string>> sentences) : SentenceSource
    {
        public override void ForEach(Action<SentenceWords> action, Action<double>? progress, CancellationToken ct)
        {
            var words = new SentenceWords();
            var count = 0;
            foreach (var sentence in sentences)
            {
                if (++count % CheckEvery == 0) ct.ThrowIfCancellationRequested();
                words.Set(sentence);
                if (words.Count > 0) action(words);
            }
            progress?.Invoke(1);
        }
    }
}
