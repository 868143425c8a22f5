namespace CustomModels.Speech.LanguageModel;

/// <summary>
/// Training text gathered from many files into one file of normalized sentences, one a line
/// (words separated by single spaces), streamed: only the current line and the distinct words
/// are held. Lines longer than <see cref="SentenceSource.MaxSentenceBytes"/> are cut into several
/// sentences between words. The file is what <see cref="KneserNeyEstimator"/> reads fastest, and
/// the distinct words are what the lexicon needs.
/// </summary>
public sealed class NormalizedCorpus : IDisposable
{
    private readonly FileStream _output;
    private readonly Utf8WordTable _words = new();

    public NormalizedCorpus(string path) =>
        _output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);

    public long Sentences { get; private set; }

    public long Words { get; private set; }

    /// <summary>Appends the sentences of a seekable UTF-8 stream.</summary>
    /// <param name="progress">The fraction of <paramref name="utf8Text"/> read, every few thousand lines.</param>
    /// <exception cref="CustomModels.Speech.Text.TranscriptEncodingException">The text is not UTF-8 (what was appended of it stays).</exception>
    public void Append(Stream utf8Text, Action<double>? progress, CancellationToken ct) =>
        SentenceSource.FromUtf8(utf8Text).ForEach(sentence =>
        {
            for (var k = 0; k < sentence.Count; k++)
            {
                if (k > 0) _output.WriteByte((byte)' ');
                var word = sentence.Word(k);
                _output.Write(word);
                _words.IdOf(word);
            }
            _output.WriteByte((byte)'\n');
            Sentences++;
            Words += sentence.Count;
        }, progress, ct);

    /// <summary>Every word of the sentences appended so far, once, in order of first appearance.</summary>
    public IReadOnlyList<string> DistinctWords() => _words.Words();

    public void Dispose() => _output.Dispose();

    /// <summary>
    /// Copies the lines of <paramref name="path"/> to two files: every <paramref name="stride"/>-th
    /// line (the first, then every stride-th after it) to <paramref name="heldOutPath"/>, the rest
    /// to <paramref name="restPath"/>. A sample spread evenly over the whole text, the same every time.
    /// </summary>
    /// <param name="progress">The fraction of <paramref name="path"/> copied, every few thousand lines.</param>
    public static void Split(string path, int stride, string restPath, string heldOutPath, CancellationToken ct, Action<double>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 2);
        using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        using var rest = new FileStream(restPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        using var heldOut = new FileStream(heldOutPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        var line = 0L;
        var length = Math.Max(1, input.Length);
        Text.TranscriptNormalizer.ForEachLine(input, (bytes, offset) =>
        {
            if (line % 4096 == 0)
            {
                ct.ThrowIfCancellationRequested();
                progress?.Invoke((double)offset / length);
            }
            var target = line++ % stride == 0 ? heldOut : rest;
            target.Write(bytes);
            target.WriteByte((byte)'\n');
        });
    }
}
