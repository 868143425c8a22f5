using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CustomModels.Speech.LanguageModel;

/// <summary>
/// Counts the n-grams of one order within a memory budget, as lmplz does: occurrences gather in
/// a buffer of at most <c>capacity</c> keys; a full buffer is sorted and written to a run file as
/// its distinct keys with their counts, and the runs are merged at the end. A count is a sum, so
/// however the occurrences were cut into runs the merged counts are the same: the model does not
/// depend on the budget.
/// </summary>
internal sealed class NGramCounter<TKey> : IDisposable where TKey : unmanaged, IBinaryInteger<TKey>, IUnsignedNumber<TKey>
{
    /// <summary>Entries per block of a run file, and per read of one.</summary>
    private const int BlockSize = 1 << 16;

    /// <summary>Counted entries read between two looks at the cancellation and two progress reports.</summary>
    private const int CheckEvery = 1 << 16;

    private readonly int _order;
    private readonly EstimationKey<TKey> _key;
    private readonly int _capacity;
    private readonly Func<string> _newRunPath;
    private readonly Parallelism _parallelism;
    private readonly List<string> _runs = [];
    private TKey[] _buffer;
    private int _length;
    private long _spilledEntries;

    /// <param name="capacity">The most keys held at once (sorting them takes as much again).</param>
    /// <param name="newRunPath">A file name for the next run.</param>
    public NGramCounter(int order, EstimationKey<TKey> key, int capacity, Func<string> newRunPath, Parallelism parallelism)
    {
        _order = order;
        _key = key;
        _capacity = Math.Max(capacity, 64);
        _newRunPath = newRunPath;
        _parallelism = parallelism;
        _buffer = new TKey[Math.Min(_capacity, 4096)];
    }

    /// <summary>How many run files were written.</summary>
    public int Runs { get; private set; }

    public void Add(TKey ngram)
    {
        if (_length == _buffer.Length)
        {
            if (_buffer.Length < _capacity)
            {
                var outgrown = (long)_buffer.Length * Unsafe.SizeOf<TKey>();
                Array.Resize(ref _buffer, (int)Math.Min(_capacity, _buffer.Length * 2L));
                ReleasedArrays.Reclaim(outgrown); // or the outgrown buffers stay beside the full one
            }
            else Spill();
        }
        _buffer[_length++] = ngram;
    }

    /// <summary>The distinct n-grams, sorted, with their counts; every run merged.</summary>
    public OrderCounts<TKey> Finish(CancellationToken ct)
    {
        if (_runs.Count == 0)
        {
            var counted = Counted(_buffer, _length);
            var released = (long)_buffer.Length * Unsafe.SizeOf<TKey>();
            _buffer = [];
            ReleasedArrays.Reclaim(released);
            return counted;
        }
        if (_length > 0) Spill();
        var spilled = (long)_buffer.Length * Unsafe.SizeOf<TKey>();
        _buffer = [];
        ReleasedArrays.Reclaim(spilled);

        // Two merges of the runs: the first only counts the distinct keys, so that the second
        // fills arrays of the exact size (growing them would need twice the memory for a while).
        var distinct = 0;
        Merge((_, _) => distinct++, ct);
        var keys = new TKey[distinct];
        var counts = new long[distinct];
        var next = 0;
        Merge((key, count) =>
        {
            keys[next] = key;
            counts[next++] = count;
        }, ct);
        DeleteRuns();
        return new OrderCounts<TKey>(_order, keys, counts);
    }

    public void Dispose() => DeleteRuns();

    private void DeleteRuns()
    {
        foreach (var run in _runs) File.Delete(run);
        _runs.Clear();
    }

    /// <summary>
    /// Calls <paramref name="emit"/> with every distinct n-gram in order and its count, every run
    /// merged, without holding them: only the buffer (when nothing was spilled) or one block per run.
    /// Once only: the buffer and the runs are let go.
    /// </summary>
    /// <param name="progress">The fraction of the counted entries read, every <see cref="CheckEvery"/> entries.</param>
    public void ForEachCounted(Action<TKey, long> emit, Action<double>? progress, CancellationToken ct)
    {
        if (_runs.Count == 0)
        {
            RadixSort.Sort(_buffer, null, _length, _order * _key.BitsPerWord, _parallelism);
            ReleasedArrays.Reclaim((long)_length * Unsafe.SizeOf<TKey>()); // the sort's copy
            var nextCheck = 0;
            for (var i = 0; i < _length;)
            {
                var key = _buffer[i];
                var start = i;
                while (++i < _length && _buffer[i] == key) { }
                emit(key, i - start);
                if (i >= nextCheck)
                {
                    nextCheck = i + CheckEvery;
                    ct.ThrowIfCancellationRequested();
                    progress?.Invoke((double)i / _length);
                }
            }
        }
        else
        {
            if (_length > 0) Spill();
            var entries = _spilledEntries;
            Merge(emit, ct, read => progress?.Invoke((double)read / entries));
        }
        var released = (long)_buffer.Length * Unsafe.SizeOf<TKey>();
        _buffer = [];
        _length = 0;
        ReleasedArrays.Reclaim(released);
        DeleteRuns();
        progress?.Invoke(1);
    }

    /// <summary>The distinct keys of the first <paramref name="length"/> <paramref name="ngrams"/>, sorted, with how often each occurs.</summary>
    private OrderCounts<TKey> Counted(TKey[] ngrams, int length)
    {
        RadixSort.Sort(ngrams, null, length, _order * _key.BitsPerWord, _parallelism);
        ReleasedArrays.Reclaim((long)length * Unsafe.SizeOf<TKey>()); // the sort's copy
        var distinct = 0;
        for (var i = 0; i < length; i++)
        {
            if (i == 0 || ngrams[i] != ngrams[i - 1]) distinct++;
        }
        var keys = new TKey[distinct];
        var counts = new long[distinct];
        var d = -1;
        for (var i = 0; i < length; i++)
        {
            if (i == 0 || ngrams[i] != ngrams[i - 1]) keys[++d] = ngrams[i];
            counts[d]++;
        }
        return new OrderCounts<TKey>(_order, keys, counts);
    }

    /// <summary>Sorts the buffer and writes its distinct keys and counts as a run: blocks of [entries][keys][counts].</summary>
    private void Spill()
    {
        RadixSort.Sort(_buffer, null, _length, _order * _key.BitsPerWord, _parallelism);
        ReleasedArrays.Reclaim((long)_length * Unsafe.SizeOf<TKey>()); // the sort's copy, before the next spill makes another
        var path = _newRunPath();
        _runs.Add(path);
        Runs++;
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        var keys = new TKey[BlockSize];
        var counts = new long[BlockSize];
        var block = 0;
        for (var i = 0; i < _length; i++)
        {
            if (i > 0 && _buffer[i] == _buffer[i - 1])
            {
                counts[block - 1]++;
                continue;
            }
            if (block == BlockSize)
            {
                WriteBlock(file, keys, counts, block);
                block = 0;
            }
            keys[block] = _buffer[i];
            counts[block++] = 1;
        }
        WriteBlock(file, keys, counts, block);
        _length = 0;
    }

    private void WriteBlock(Stream file, TKey[] keys, long[] counts, int entries)
    {
        if (entries == 0) return;
        _spilledEntries += entries;
        file.Write(BitConverter.GetBytes(entries));
        file.Write(MemoryMarshal.AsBytes(keys.AsSpan(0, entries)));
        file.Write(MemoryMarshal.AsBytes(counts.AsSpan(0, entries)));
    }

    /// <summary>Calls <paramref name="emit"/> with every distinct key of the runs in order and its summed count.</summary>
    /// <param name="progress">How many of the runs' entries have been read, every <see cref="CheckEvery"/> entries.</param>
    private void Merge(Action<TKey, long> emit, CancellationToken ct, Action<long>? progress = null)
    {
        var readers = _runs.Select(path => new RunReader(path)).ToList();
        try
        {
            var queue = new PriorityQueue<RunReader, TKey>();
            foreach (var reader in readers)
            {
                if (reader.MoveNext()) queue.Enqueue(reader, reader.Key);
            }
            var read = 0L;
            var nextCheck = 0L;
            while (queue.TryDequeue(out var reader, out var key))
            {
                var count = reader.Count;
                read++;
                if (reader.MoveNext()) queue.Enqueue(reader, reader.Key);
                while (queue.TryPeek(out var other, out var otherKey) && otherKey == key)
                {
                    queue.Dequeue();
                    count += other.Count;
                    read++;
                    if (other.MoveNext()) queue.Enqueue(other, other.Key);
                }
                emit(key, count);
                if (read >= nextCheck)
                {
                    nextCheck = read + CheckEvery;
                    ct.ThrowIfCancellationRequested();
                    progress?.Invoke(read);
                }
            }
        }
        finally
        {
            foreach (var reader in readers) reader.Dispose();
        }
    }

    /// <summary>A run file read back one block at a time.</summary>
    private sealed class RunReader(string path) : IDisposable
    {
        private readonly FileStream _file = new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        private readonly TKey[] _keys = new TKey[BlockSize];
        private readonly long[] _counts = new long[BlockSize];
        private int _entries;
        private int _index = -1;

        public TKey Key => _keys[_index];
        public long Count => _counts[_index];

        public bool MoveNext()
        {
            if (++_index < _entries) return true;
            Span<byte> header = stackalloc byte[sizeof(int)];
            if (_file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) == 0) return false;
            _entries = BitConverter.ToInt32(header);
            _file.ReadExactly(MemoryMarshal.AsBytes(_keys.AsSpan(0, _entries)));
            _file.ReadExactly(MemoryMarshal.AsBytes(_counts.AsSpan(0, _entries)));
            _index = 0;
            return true;
        }

        public void Dispose() => _file.Dispose();
    }
}
