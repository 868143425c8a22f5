using System.Buffers;
using System.Globalization;
using System.Text;

namespace CustomModels.Speech.LanguageModel;

/// <summary>The n-grams of one order as <see cref="ArpaWriter"/> reads them.</summary>
internal interface IArpaSection
{
    int Order { get; }

    int Count { get; }

    float LogProbability(int index);

    /// <summary>0 where the n-gram is never a context, and for the highest order.</summary>
    float LogBackoff(int index);

    /// <summary>The word ids of n-gram <paramref name="index"/>, oldest first.</summary>
    void Words(int index, Span<int> ids);
}

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
    internal static void Write(BackoffLanguageModel model, Stream stream, Parallelism parallelism) =>
        Write(stream, model.Vocabulary, Enumerable.Range(1, model.Order).Select(n => (long)model.NGramCount(n)).ToArray(),
            Enumerable.Range(1, model.Order).Select(n => (IArpaSection)new ModelSection(model.Section(n), n)), parallelism);

    /// <summary>
    /// Writes a model given order by order, lowest first, as its orders are produced: a model
    /// being estimated need not be held whole to be written.
    /// </summary>
    /// <param name="vocabulary">The word of each id the sections give.</param>
    /// <param name="counts">How many n-grams each order has (the header comes first).</param>
    /// <param name="sections">Enumerated once; each is written before the next is asked for.</param>
    internal static void Write(Stream stream, IReadOnlyList<string> vocabulary, IReadOnlyList<long> counts, IEnumerable<IArpaSection> sections, Parallelism parallelism)
    {
        var header = new StringBuilder();
        header.Append("\\data\\\n");
        for (var n = 1; n <= counts.Count; n++) header.Append(CultureInfo.InvariantCulture, $"ngram {n}={counts[n - 1]}\n");
        WriteAscii(stream, header.ToString());

        var words = vocabulary.Select(Encoding.UTF8.GetBytes).ToArray();
        var written = 0;
        foreach (var section in sections)
        {
            if (section.Order != written + 1 || section.Count != counts[written])
                throw new InvalidOperationException($"internal error: section {section.Order} of {section.Count} n-grams does not follow the header");
            WriteAscii(stream, $"\n\\{section.Order}-grams:\n");
            WriteSection(stream, section, counts.Count, words, parallelism);
            written++;
        }
        if (written != counts.Count) throw new InvalidOperationException($"internal error: {written} of {counts.Count} sections were written");
        WriteAscii(stream, "\n\\end\\\n");
    }

    /// <summary>
    /// Formatting the numbers is most of the work. The section is cut into chunks that the cores
    /// format in file order, each into its own buffer, while this thread writes the finished ones
    /// in order: the file is being written while the rest is formatted.
    /// </summary>
    private static void WriteSection(Stream stream, IArpaSection section, int modelOrder, byte[][] words, Parallelism parallelism)
    {
        var chunks = new List<(int Start, int End)>();
        for (var start = 0; start < section.Count; start += ChunkSize) chunks.Add((start, Math.Min(start + ChunkSize, section.Count)));
        var formatted = new byte[chunks.Count][];
        var lengths = new int[chunks.Count];

        void FormatChunk(int c, NumberTexts numbers) =>
            formatted[c] = FormatLines(section, modelOrder, words, chunks[c].Start, chunks[c].End, numbers, out lengths[c]);

        void WriteChunk(int c)
        {
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
            return;
        }

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

    /// <summary>The lines of n-grams [start, end) of the section, in a buffer from the shared pool.</summary>
    private static byte[] FormatLines(IArpaSection section, int modelOrder, byte[][] words, int start, int end, NumberTexts numbers, out int length)
    {
        var n = section.Order;
        var buffer = ArrayPool<byte>.Shared.Rent((end - start) * (24 + 12 * n) + 64);
        var position = 0;
        Span<int> ids = stackalloc int[n];
        for (var i = start; i < end; i++)
        {
            section.Words(i, ids);
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

            position += numbers.Format(section.LogProbability(i), buffer.AsSpan(position));
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

    private sealed class ModelSection(NGramSection section, int order) : IArpaSection
    {
        public int Order => order;
        public int Count => section.Count;
        public float LogProbability(int index) => section.LogProbabilities[index];
        public float LogBackoff(int index) => section.LogBackoff(index);
        public void Words(int index, Span<int> ids) => PackedNGram.Unpack(section.Keys[index], ids);
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
