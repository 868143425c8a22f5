using System.Buffers;
using System.Globalization;
using System.Text;

namespace CustomModels.Speech.LanguageModel;

/// <summary>
/// Writes a model in the ARPA text format: the \data\ header with the n-gram count of each
/// order, then one section per order of "log10 p &lt;tab&gt; words [&lt;tab&gt; log10 backoff]" lines
/// (every order but the highest has a backoff column, 0 where the n-gram is never a context,
/// as lmplz writes it), then \end\. Numbers are the shortest text that reads back as the
/// same float (<see cref="ShortestFloatText"/>), so a write–read round trip changes nothing.
/// </summary>
public static class ArpaWriter
{
    /// <summary>N-grams formatted per task: small enough to share the work between cores, large enough to be worth a task.</summary>
    private const int ChunkSize = 16 * 1024;

    /// <summary>How many formatted chunks per formatting thread may wait for the writer.</summary>
    private const int ChunksAheadPerThread = 4;

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
    public static void Write(BackoffLanguageModel model, Stream stream) => Write(model, stream, Parallelism.AllCores);

    /// <summary>As <see cref="Write(BackoffLanguageModel, Stream)"/>; the bytes do not depend on <paramref name="parallelism"/>.</summary>
    internal static void Write(BackoffLanguageModel model, Stream stream, Parallelism parallelism)
    {
        var header = new StringBuilder();
        header.Append("\\data\\\n");
        for (var n = 1; n <= model.Order; n++) header.Append(CultureInfo.InvariantCulture, $"ngram {n}={model.NGramCount(n)}\n");
        WriteAscii(stream, header.ToString());

        // Formatting the numbers is most of the work. The sections are cut into chunks that the
        // cores format in file order, each into its own buffer, while this thread writes the
        // finished ones in order: the file is being written while the rest is formatted.
        var words = model.Vocabulary.Select(Encoding.UTF8.GetBytes).ToArray();
        var chunks = new List<(int Order, int Start, int End)>();
        for (var n = 1; n <= model.Order; n++)
        {
            var count = model.NGramCount(n);
            for (var start = 0; start < count || start == 0; start += ChunkSize) chunks.Add((n, start, Math.Min(start + ChunkSize, count)));
        }
        var formatted = new byte[chunks.Count][];
        var lengths = new int[chunks.Count];

        void FormatChunk(int c, NumberTexts numbers)
        {
            var (order, start, end) = chunks[c];
            formatted[c] = FormatLines(model.Section(order), order, model.Order, words, start, end, numbers, out lengths[c]);
        }

        void WriteChunk(int c)
        {
            var (order, start, _) = chunks[c];
            if (start == 0) WriteAscii(stream, $"\n\\{order}-grams:\n");
            stream.Write(formatted[c], 0, lengths[c]);
            ArrayPool<byte>.Shared.Return(formatted[c]);
            formatted[c] = null!;
        }

        if (!parallelism.IsParallel)
        {
            var numbers = new NumberTexts();
            for (var c = 0; c < chunks.Count; c++)
            {
                FormatChunk(c, numbers);
                WriteChunk(c);
            }
        }
        else
        {
            var ready = chunks.Select(_ => new ManualResetEventSlim()).ToArray();
            // Formatting may run only a few chunks ahead of the writing: the formatted text of a
            // large model, piled up while a slow disk writes, would take as much memory as the file.
            using var ahead = new SemaphoreSlim(ChunksAheadPerThread * parallelism.ThreadCount);
            var next = -1;
            var formatting = Task.Run(() => parallelism.For(0, parallelism.ThreadCount, _ =>
            {
                var numbers = new NumberTexts();
                while (true)
                {
                    ahead.Wait();
                    var c = Interlocked.Increment(ref next);
                    if (c >= chunks.Count)
                    {
                        ahead.Release(); // the other threads see the end too
                        return;
                    }
                    try
                    {
                        FormatChunk(c, numbers);
                    }
                    finally
                    {
                        ready[c].Set(); // also on failure, so that the writer does not wait for ever
                    }
                }
            }));
            var written = false;
            try
            {
                for (var c = 0; c < chunks.Count; c++)
                {
                    ready[c].Wait();
                    if (formatted[c] is null) break; // formatting failed: its exception is thrown below
                    WriteChunk(c);
                    ahead.Release();
                }
                written = true;
            }
            finally
            {
                if (!written)
                {
                    Interlocked.Exchange(ref next, chunks.Count); // writing failed: stop formatting
                    ahead.Release(parallelism.ThreadCount);
                }
            }
            formatting.GetAwaiter().GetResult();
            foreach (var signal in ready) signal.Dispose();
        }
        WriteAscii(stream, "\n\\end\\\n");
    }

    /// <summary>The lines of n-grams [start, end) of the section, in a buffer from the shared pool.</summary>
    private static byte[] FormatLines(NGramSection section, int n, int modelOrder, byte[][] words, int start, int end, NumberTexts numbers, out int length)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((end - start) * (24 + 12 * n) + 64);
        var position = 0;
        Span<int> ids = stackalloc int[n];
        for (var i = start; i < end; i++)
        {
            PackedNGram.Unpack(section.Keys[i], ids);
            // Two numbers of at most 16 bytes, the words, the separators and the newline.
            var needed = 40 + n;
            foreach (var id in ids) needed += words[id].Length;
            if (position + needed > buffer.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length * 2, position + needed));
                buffer.AsSpan(0, position).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }

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
        private const int MaxLength = ShortestFloatText.MaxLength;
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
                _bits[slot] = bits;
                _lengths[slot] = (byte)ShortestFloatText.Format(value, text);
            }
            var length = _lengths[slot];
            text[..length].CopyTo(destination);
            return length;
        }
    }

    private static void WriteAscii(Stream stream, string text) => stream.Write(Encoding.ASCII.GetBytes(text));
}
