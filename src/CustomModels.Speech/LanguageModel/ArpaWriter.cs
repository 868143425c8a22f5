using System.Globalization;
using System.Text;

namespace CustomModels.Speech.LanguageModel;

/// <summary>
/// Writes a model in the ARPA text format: the \data\ header with the n-gram count of each
/// order, then one section per order of "log10 p &lt;tab&gt; words [&lt;tab&gt; log10 backoff]" lines
/// (every order but the highest has a backoff column, 0 where the n-gram is never a context,
/// as lmplz writes it), then \end\. Numbers are the shortest text that reads back as the
/// same float, so a write–read round trip changes nothing.
/// </summary>
public static class ArpaWriter
{
    /// <summary>N-grams formatted per task: small enough to share the work between cores, large enough to be worth a task.</summary>
    private const int ChunkSize = 32 * 1024;

    public static void Write(BackoffLanguageModel model, string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 16);
        Write(model, stream);
    }

    public static void Write(BackoffLanguageModel model, TextWriter writer)
    {
        using var buffer = new MemoryStream();
        Write(model, buffer);
        writer.Write(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    /// <summary>Writes the model as UTF-8 (no byte order mark) to <paramref name="stream"/>, which stays open.</summary>
    public static void Write(BackoffLanguageModel model, Stream stream)
    {
        var header = new StringBuilder();
        header.Append("\\data\\\n");
        for (var n = 1; n <= model.Order; n++) header.Append(CultureInfo.InvariantCulture, $"ngram {n}={model.NGramCount(n)}\n");
        WriteAscii(stream, header.ToString());

        // Formatting the numbers is most of the work: chunks of each section are formatted on
        // all cores into their own buffers, then written in order.
        var words = model.Vocabulary.Select(Encoding.UTF8.GetBytes).ToArray();
        for (var n = 1; n <= model.Order; n++)
        {
            WriteAscii(stream, $"\n\\{n}-grams:\n");
            var section = model.Section(n);
            var chunks = new byte[(section.Count + ChunkSize - 1) / ChunkSize][];
            var lengths = new int[chunks.Length];
            var order = n;
            Parallel.For(0, chunks.Length, c =>
            {
                var start = c * ChunkSize;
                var end = Math.Min(start + ChunkSize, section.Count);
                chunks[c] = FormatLines(section, order, model.Order, words, start, end, out lengths[c]);
            });
            for (var c = 0; c < chunks.Length; c++) stream.Write(chunks[c], 0, lengths[c]);
        }
        WriteAscii(stream, "\n\\end\\\n");
    }

    private static byte[] FormatLines(NGramSection section, int n, int modelOrder, byte[][] words, int start, int end, out int length)
    {
        var buffer = new byte[(end - start) * (24 + 12 * n) + 64];
        var numbers = new NumberTexts();
        var position = 0;
        Span<int> ids = stackalloc int[n];
        for (var i = start; i < end; i++)
        {
            PackedNGram.Unpack(section.Keys[i], ids);
            // Two numbers of at most 16 bytes, the words, the separators and the newline.
            var needed = 40 + n;
            foreach (var id in ids) needed += words[id].Length;
            if (position + needed > buffer.Length) Array.Resize(ref buffer, Math.Max(buffer.Length * 2, position + needed));

            position += numbers.Format(section.LogProbabilities[i], buffer.AsSpan(position));
            for (var w = 0; w < n; w++)
            {
                buffer[position++] = (byte)(w == 0 ? '\t' : ' ');
                words[ids[w]].CopyTo(buffer.AsSpan(position));
                position += words[ids[w]].Length;
            }
            if (n < modelOrder)
            {
                buffer[position++] = (byte)'\t';
                position += numbers.Format(section.LogBackoff(i), buffer.AsSpan(position));
            }
            buffer[position++] = (byte)'\n';
        }
        length = position;
        return buffer;
    }

    /// <summary>
    /// Numbers as text, with the text of recently formatted numbers kept by their bits: a third
    /// of a model's numbers repeat (backoff 0, n-grams with the same count in the same context),
    /// and looking one up costs a fraction of formatting it again.
    /// </summary>
    private sealed class NumberTexts
    {
        private const int SlotBits = 12;
        private const int MaxLength = 16; // "-1.2345678E-38": sign, 9 digits, point, exponent
        private readonly uint[] _bits = new uint[1 << SlotBits];
        private readonly byte[] _lengths = new byte[1 << SlotBits]; // 0: empty slot
        private readonly byte[] _texts = new byte[(1 << SlotBits) * MaxLength];

        public int Format(float value, Span<byte> destination)
        {
            if (!float.IsFinite(value)) throw new InvalidOperationException($"internal error: model value {value} is not finite");
            value += 0f; // -0 reads oddly; +0 is the same number
            var bits = BitConverter.SingleToUInt32Bits(value);
            var slot = (int)((bits * 2654435769u) >> (32 - SlotBits));
            var text = _texts.AsSpan(slot * MaxLength, MaxLength);
            if (_lengths[slot] == 0 || _bits[slot] != bits)
            {
                if (!value.TryFormat(text, out var written, "R", CultureInfo.InvariantCulture))
                    throw new InvalidOperationException($"internal error: {value} is longer than {MaxLength} characters");
                _bits[slot] = bits;
                _lengths[slot] = (byte)written;
            }
            var length = _lengths[slot];
            text[..length].CopyTo(destination);
            return length;
        }
    }

    private static void WriteAscii(Stream stream, string text) => stream.Write(Encoding.ASCII.GetBytes(text));
}
