using CustomModels.Core.Training;
using CustomModels.Speech.Decoding;
using Microsoft.Extensions.Options;

namespace CustomModels.Core.Transcriptions;

/// <summary>A pool lent to one transcription; disposing it gives it back.</summary>
public sealed class DecoderLease(DecoderPool pool, Action release) : IDisposable
{
    int released;
    public DecoderPool Pool { get; } = pool;
    public void Dispose()
    {
        if (Interlocked.Exchange(ref released, 1) == 0) release();
    }
}

/// <summary>
/// Loaded decoders, shared by the transcriptions of a process: one pool per language for the base
/// model, kept for the life of the process, and pools for the few custom models used last, keyed
/// by model and artifact (a retrained model is a new key; its old pool serves the jobs that hold
/// it and is then let go). A pool is built with all its decoders at once, so it never needs the
/// artifact's files again once built. An evicted pool is disposed when its last user returns it.
/// </summary>
public sealed class DecoderCache(IOptions<TranscriptionOptions> settings) : IDisposable
{
    readonly TranscriptionOptions options = settings.Value;

    sealed class Entry(string key, bool pinned, Task<DecoderPool> pool)
    {
        public string Key { get; } = key;
        public bool Pinned { get; } = pinned;
        public Task<DecoderPool> Pool { get; } = pool;
        public int Users;
        public long LastUsed;
        public bool Evicted;
    }

    readonly object gate = new();
    readonly Dictionary<string, Entry> entries = new(StringComparer.Ordinal);
    long clock;

    /// <summary>
    /// The base decoders of a language. With <paramref name="forKeyterms"/>, decoders of their own
    /// that serve only requests with keyterms (each decode brings its terms): an ordinary request
    /// never meets a decoder that has held a request's terms.
    /// </summary>
    public Task<DecoderLease> RentBaseAsync(string language, DecoderSettings settings, CancellationToken ct, bool forKeyterms = false) =>
        forKeyterms
            ? RentAsync("keyterms/base/" + language, pinned: true, () => DecoderPool.ForKeyterms(settings, null, options.Workers), ct)
            : RentAsync("base/" + language, pinned: true, () => DecoderPool.ForBaseModel(settings, options.Workers), ct);

    /// <summary>The decoders of a trained model's artifact; <paramref name="forKeyterms"/> as for the base model.</summary>
    public Task<DecoderLease> RentCustomAsync(long modelId, string artifactName, ModelArtifact artifact, DecoderSettings settings,
        CancellationToken ct, bool forKeyterms = false) =>
        RentAsync($"{(forKeyterms ? "keyterms/" : "")}custom/{modelId}/{artifactName}", pinned: false, () =>
        {
            var custom = artifact.LoadLanguageModel();
            var customSettings = artifact.DecoderSettings(settings);
            return forKeyterms
                ? DecoderPool.ForKeyterms(customSettings, custom, options.Workers)
                : DecoderPool.ForCustomModel(customSettings, custom, options.Workers);
        }, ct);

    async Task<DecoderLease> RentAsync(string key, bool pinned, Func<DecoderPool> create, CancellationToken ct)
    {
        Entry entry;
        lock (gate)
        {
            var added = !entries.TryGetValue(key, out entry!);
            if (added)
            {
                entry = new Entry(key, pinned, Task.Run(async () =>
                {
                    var pool = create();
                    try
                    {
                        await pool.WarmUpAsync();
                        return pool;
                    }
                    catch
                    {
                        pool.Dispose();
                        throw;
                    }
                }));
                entries[key] = entry;
            }
            entry.Users++;
            entry.LastUsed = ++clock;
            // After the new entry is marked used: else it is the least recently used and goes at once.
            if (added) EvictBeyondCapacity();
        }
        try
        {
            var pool = await entry.Pool.WaitAsync(ct);
            return new DecoderLease(pool, () => Return(entry));
        }
        catch
        {
            lock (gate)
            {
                // A pool that could not be built is forgotten, so the next job tries again.
                if (entry.Pool.IsFaulted && entries.GetValueOrDefault(key) == entry) entries.Remove(key);
            }
            Return(entry);
            throw;
        }
    }

    void EvictBeyondCapacity()
    {
        var custom = entries.Values.Where(e => !e.Pinned).OrderBy(e => e.LastUsed).ToList();
        foreach (var old in custom.Take(Math.Max(0, custom.Count - options.CachedCustomModels)))
        {
            entries.Remove(old.Key);
            old.Evicted = true;
            if (old.Users == 0) DisposeWhenBuilt(old);
        }
    }

    void Return(Entry entry)
    {
        lock (gate)
        {
            entry.Users--;
            if (entry.Evicted && entry.Users == 0) DisposeWhenBuilt(entry);
        }
    }

    static void DisposeWhenBuilt(Entry entry) =>
        entry.Pool.ContinueWith(t => { if (t.IsCompletedSuccessfully) t.Result.Dispose(); }, TaskScheduler.Default);

    public void Dispose()
    {
        lock (gate)
        {
            foreach (var entry in entries.Values) DisposeWhenBuilt(entry);
            entries.Clear();
        }
    }
}
