using System.Buffers;
using System.Text.Unicode;

namespace CustomModels.Speech.Text;

/// <summary>
/// Reading transcripts and corpora: strictly UTF-8 (a file in another encoding is refused with
/// the offset of the first bad byte rather than read as replacement characters that would
/// become words of the model); a UTF-8 byte order mark is dropped.
/// </summary>
public static partial class TranscriptNormalizer
{
    private static ReadOnlySpan<byte> ByteOrderMark => [0xEF, 0xBB, 0xBF];

    /// <summary>The text of <paramref name="bytes"/>, without a leading byte order mark.</summary>
    /// <exception cref="TranscriptEncodingException">The bytes are not UTF-8.</exception>
    public static string DecodeUtf8(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith(ByteOrderMark)) return DecodeUtf8(bytes[ByteOrderMark.Length..], ByteOrderMark.Length);
        return DecodeUtf8(bytes, 0);
    }

    /// <summary>The lines of a UTF-8 file, without line ends ("\n" or "\r\n") and without a byte order mark.</summary>
    /// <exception cref="TranscriptEncodingException">While enumerating, at the first line that is not UTF-8.</exception>
    public static IEnumerable<string> ReadLines(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        foreach (var line in ReadLines(stream)) yield return line;
    }

    /// <summary>The lines of a UTF-8 stream, read as it goes (a corpus need not fit in memory as one string).</summary>
    /// <exception cref="TranscriptEncodingException">While enumerating, at the first line that is not UTF-8.</exception>
    public static IEnumerable<string> ReadLines(Stream stream)
    {
        var lines = new Utf8LineSplitter(stream, 64 * 1024);
        while (lines.TryNext(out var start, out var length, out var offset))
            yield return DecodeUtf8(lines.Buffer.AsSpan(start, length), offset);
    }

    /// <summary>A line of a UTF-8 stream, without its line end; <paramref name="offset"/> is that of its first byte.</summary>
    internal delegate void Utf8LineAction(ReadOnlySpan<byte> line, long offset);

    /// <summary>
    /// <see cref="ReadLines(Stream)"/> without a string per line: each line's bytes (not yet
    /// checked to be UTF-8; <see cref="DecodeLine"/> does that) go to <paramref name="action"/>,
    /// for readers that can use most lines as bytes.
    /// </summary>
    /// <param name="maxLineBytes">
    /// A longer line is cut after the last space or tab within this many bytes (or, when it has
    /// none there, at the limit, on a character boundary) and goes on as the next line: a reader of
    /// sentences then never holds, or works on, more than this of one line at a time.
    /// </param>
    internal static void ForEachLine(Stream stream, Utf8LineAction action, int maxLineBytes = int.MaxValue)
    {
        var lines = new Utf8LineSplitter(stream, 256 * 1024, maxLineBytes);
        while (lines.TryNext(out var start, out var length, out var offset))
            action(lines.Buffer.AsSpan(start, length), offset);
    }

    /// <summary>
    /// Cuts a stream into lines ("\n" or "\r\n", a leading byte order mark dropped) in one growing
    /// buffer: each line is a range of <see cref="Buffer"/>, valid until the next call.
    /// </summary>
    private sealed class Utf8LineSplitter(Stream stream, int bufferSize, int maxLineBytes = int.MaxValue)
    {
        public byte[] Buffer { get; private set; } = new byte[Math.Min(bufferSize, Math.Max(maxLineBytes, 16))];
        int filled;
        long bufferOffset;           // offset in the stream of Buffer[0]
        int start;                   // first byte of the current line in Buffer
        bool byteOrderMarkChecked;
        bool ended;

        public bool TryNext(out int lineStart, out int length, out long offset)
        {
            while (true)
            {
                var newline = Buffer.AsSpan(start, filled - start).IndexOf((byte)'\n');
                if (newline >= 0 || (ended && start < filled))
                {
                    lineStart = start;
                    length = newline >= 0 ? newline : filled - start;
                    start = newline >= 0 ? start + newline + 1 : filled;
                    if (length > 0 && Buffer[lineStart + length - 1] == '\r') length--;
                    offset = bufferOffset + lineStart;
                    return true;
                }
                if (filled - start >= maxLineBytes)
                {
                    lineStart = start;
                    length = CutLength(Buffer.AsSpan(start, maxLineBytes));
                    start += length;
                    offset = bufferOffset + lineStart;
                    return true;
                }
                if (ended)
                {
                    (lineStart, length, offset) = (0, 0, 0);
                    return false;
                }

                // Keep the unfinished line at the front of the buffer, then read more.
                System.Buffer.BlockCopy(Buffer, start, Buffer, 0, filled - start);
                bufferOffset += start;
                filled -= start;
                start = 0;
                if (filled == Buffer.Length && filled < maxLineBytes)
                {
                    var larger = Buffer;
                    Array.Resize(ref larger, larger.Length * 2);
                    Buffer = larger;
                }
                var read = stream.Read(Buffer, filled, Buffer.Length - filled);
                filled += read;
                ended = read == 0;
                if (!byteOrderMarkChecked && (filled >= ByteOrderMark.Length || ended))
                {
                    if (Buffer.AsSpan(0, filled).StartsWith(ByteOrderMark)) start = ByteOrderMark.Length;
                    byteOrderMarkChecked = true;
                }
            }
        }
    }

    /// <summary>
    /// Where to cut a line that is longer than <paramref name="head"/>: after its last space or tab
    /// (words stay whole, and no number, apostrophe or hyphenated word spans a space), else before
    /// the last character that starts in it (a UTF-8 sequence stays whole).
    /// </summary>
    private static int CutLength(ReadOnlySpan<byte> head)
    {
        var blank = head.LastIndexOfAny((byte)' ', (byte)'\t');
        if (blank >= 0) return blank + 1;
        var lead = head.Length - 1;
        while (lead > 0 && (head[lead] & 0xC0) == 0x80) lead--;
        var sequenceLength = head[lead] switch { < 0xC0 => 1, < 0xE0 => 2, < 0xF0 => 3, _ => 4 };
        return lead + sequenceLength <= head.Length || lead == 0 ? head.Length : lead;
    }

    /// <summary>
    /// The normalized words of a line that is plain ASCII text without digits, '%' or '&amp;'
    /// (most corpus lines), straight from its bytes: word k is line[bounds[2k]..bounds[2k + 1]],
    /// to be lower-cased by the caller. The rules are those of <see cref="Words(string)"/> for such
    /// text: runs of letters are words, an apostrophe between two letters belongs to its word,
    /// every other character separates words.
    /// </summary>
    /// <param name="bounds">At least <paramref name="line"/>.Length + 1 long: a line has at most that many word starts and ends.</param>
    /// <returns>How many words, or −1 (with <paramref name="bounds"/> unspecified) when the line needs <see cref="Words(string)"/>.</returns>
    internal static int AsciiWordBounds(ReadOnlySpan<byte> line, Span<int> bounds)
    {
        var count = 0;
        var wordStart = -1;
        for (var i = 0; i < line.Length; i++)
        {
            var b = line[i];
            if (IsAsciiLetter(b))
            {
                if (wordStart < 0) wordStart = i;
                continue;
            }
            if (b >= 0x80 || b is (>= (byte)'0' and <= (byte)'9') or (byte)'%' or (byte)'&') return -1;
            if (b == '\'' && wordStart >= 0 && i + 1 < line.Length && IsAsciiLetter(line[i + 1])) continue;
            if (wordStart >= 0)
            {
                bounds[2 * count] = wordStart;
                bounds[2 * count + 1] = i;
                count++;
            }
            wordStart = -1;
        }
        if (wordStart >= 0)
        {
            bounds[2 * count] = wordStart;
            bounds[2 * count + 1] = line.Length;
            count++;
        }
        return count;
    }

    private static bool IsAsciiLetter(byte b) => (uint)((b | 0x20) - 'a') <= 'z' - 'a';

    internal static string DecodeLine(ReadOnlySpan<byte> line, long offset) => DecodeUtf8(line, offset);

    private static string DecodeUtf8(ReadOnlySpan<byte> bytes, long offsetOfFirstByte)
    {
        if (bytes.IsEmpty) return "";
        // UTF-16 never needs more code units than UTF-8 has bytes.
        var rented = ArrayPool<char>.Shared.Rent(bytes.Length);
        try
        {
            var status = Utf8.ToUtf16(bytes, rented, out var bytesRead, out var charsWritten, replaceInvalidSequences: false);
            if (status != OperationStatus.Done) throw new TranscriptEncodingException(offsetOfFirstByte + bytesRead);
            return new string(rented, 0, charsWritten);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }
}
