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
        var buffer = new byte[64 * 1024];
        var filled = 0;
        long bufferOffset = 0; // offset in the stream of buffer[0]
        var start = 0;         // first byte of the current line in buffer
        var byteOrderMarkChecked = false;
        while (true)
        {
            if (start == 0 && filled == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
            var read = stream.Read(buffer, filled, buffer.Length - filled);
            filled += read;

            if (!byteOrderMarkChecked && (filled >= ByteOrderMark.Length || read == 0))
            {
                if (buffer.AsSpan(0, filled).StartsWith(ByteOrderMark)) start = ByteOrderMark.Length;
                byteOrderMarkChecked = true;
            }

            int newline;
            while ((newline = Array.IndexOf(buffer, (byte)'\n', start, filled - start)) >= 0)
            {
                yield return DecodeLine(buffer, start, newline - start, bufferOffset);
                start = newline + 1;
            }

            if (read == 0)
            {
                if (start < filled) yield return DecodeLine(buffer, start, filled - start, bufferOffset);
                yield break;
            }

            // Keep the unfinished line at the front of the buffer.
            Buffer.BlockCopy(buffer, start, buffer, 0, filled - start);
            bufferOffset += start;
            filled -= start;
            start = 0;
        }
    }

    private static string DecodeLine(byte[] buffer, int start, int length, long bufferOffset)
    {
        if (length > 0 && buffer[start + length - 1] == '\r') length--;
        return DecodeUtf8(buffer.AsSpan(start, length), bufferOffset + start);
    }

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
