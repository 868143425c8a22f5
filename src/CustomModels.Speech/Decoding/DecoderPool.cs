using System.Collections.Concurrent;
using CustomModels.Speech.Keyterms;

namespace CustomModels.Speech.Decoding;

/// <summary>
/// Decoders of one model (base, or base + a custom language model), shared by many threads.
/// A pocketsphinx decoder serves one thread at a time, so the pool lends each request its own
/// and creates one, lazily, only when all are busy and fewer than <c>maxDecoders</c> exist
/// (each holds its own copy of the acoustic and language models: about 0.6 s to build and some
/// 100 MB of native memory).
/// </summary>
public sealed class DecoderPool : IDisposable
{
    private readonly Func<SpeechDecoder> _createDecoder;
    // Idle decoders, the one given back longest ago first (see TakeIdle).
    private readonly LinkedList<SpeechDecoder> _idle = [];
    private readonly ConcurrentDictionary<SpeechDecoder, byte> _all = new();
    private readonly SemaphoreSlim _available;
    private bool _disposed;

    private DecoderPool(Func<SpeechDecoder> createDecoder, int maxDecoders)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDecoders, 1);
        _createDecoder = createDecoder;
        _available = new SemaphoreSlim(maxDecoders, maxDecoders);
        MaxDecoders = maxDecoders;
    }

    public int MaxDecoders { get; }

    /// <summary>
    /// A keyterm decoder that has taken in more of requests' new words than this (they stay in its
    /// dictionary, unheard, and make each later search larger) is replaced by a new one: about a
    /// hundred requests of 100 new words, then 0.6 s to build a decoder again.
    /// </summary>
    public const int MaxKeytermWordsPerDecoder = 10_000;

    public static DecoderPool ForBaseModel(DecoderSettings settings, int maxDecoders) =>
        new(() => SpeechDecoder.CreateBase(settings), maxDecoders);

    public static DecoderPool ForCustomModel(DecoderSettings settings, CustomLanguageModel custom, int maxDecoders) =>
        new(() => SpeechDecoder.CreateCustom(settings, custom), maxDecoders);

    /// <summary>
    /// Decoders for requests with keyterms, <paramref name="custom"/>'s model (or the base one)
    /// beneath each request's terms: every decode must bring its keyterms.
    /// </summary>
    public static DecoderPool ForKeyterms(DecoderSettings settings, CustomLanguageModel? custom, int maxDecoders) =>
        new(() => SpeechDecoder.CreateForKeyterms(settings, custom), maxDecoders);

    /// <summary>Builds every decoder the pool may use now, in parallel, rather than on first demand; call it before the pool is used.</summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var missing = MaxDecoders - _all.Count;
        var created = await Task.WhenAll(Enumerable.Range(0, missing).Select(_ => Task.Run(_createDecoder, cancellationToken)));
        foreach (var decoder in created)
        {
            _all.TryAdd(decoder, 0);
            GiveBack(decoder);
        }
    }

    /// <summary>Decodes an audio file in any format ffmpeg reads (with its keyterms, on a pool for keyterms).</summary>
    public Task<Transcript> DecodeFileAsync(string audioPath, CancellationToken cancellationToken = default,
        IProgress<double>? progress = null, KeytermBias? keyterms = null) =>
        UseDecoderAsync(keyterms?.Identity, decoder =>
        {
            // A keyterm decoder keeps the last request's terms: it serves only requests that bring their own.
            if (decoder.IsForKeyterms != keyterms is not null)
                throw new InvalidOperationException(keyterms is null
                    ? "a decoder for keyterms cannot serve a request without keyterms"
                    : "keyterms need a decoder created for keyterms");
            if (keyterms is not null) decoder.UseKeyterms(keyterms);
            return decoder.DecodeFileAsync(audioPath, cancellationToken, progress);
        }, cancellationToken);

    /// <summary>Decodes an audio file once and gives its words at each of <paramref name="candidates"/> (<see cref="SpeechDecoder.DecodeFileRescoredAsync"/>).</summary>
    public Task<IReadOnlyList<string>> DecodeFileRescoredAsync(string audioPath, IReadOnlyList<LanguageWeights> candidates,
        CancellationToken cancellationToken = default) =>
        UseDecoderAsync(null, decoder => decoder.DecodeFileRescoredAsync(audioPath, candidates, cancellationToken), cancellationToken);

    /// <summary>
    /// An idle decoder, or null when none is: one whose search is ready for <paramref name="keyterms"/>
    /// (a bias identity) if there is one, so that a pool's decoders keep serving the term sets they
    /// have and a request repeating another's terms costs no rebuild; otherwise the one given back
    /// longest ago, so that the term sets used last stay in place.
    /// </summary>
    private SpeechDecoder? TakeIdle(string? keyterms)
    {
        lock (_idle)
        {
            var node = _idle.First;
            for (var n = node; keyterms is not null && n is not null; n = n.Next)
            {
                if (n.Value.KeytermsInUse != keyterms) continue;
                node = n;
                break;
            }
            if (node is null) return null;
            _idle.Remove(node);
            return node.Value;
        }
    }

    private void GiveBack(SpeechDecoder decoder)
    {
        lock (_idle) _idle.AddLast(decoder);
    }

    /// <summary>The decoders built so far, busy or idle.</summary>
    internal IReadOnlyList<SpeechDecoder> Decoders => [.. _all.Keys];

    private async Task<T> UseDecoderAsync<T>(string? keyterms, Func<SpeechDecoder, Task<T>> decode,
        CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _available.WaitAsync(cancellationToken);
        SpeechDecoder? decoder = null;
        try
        {
            decoder = TakeIdle(keyterms);
            if (decoder is null)
            {
                // Building a decoder reads the models from disk: off the caller's thread.
                decoder = await Task.Run(_createDecoder, cancellationToken);
                _all.TryAdd(decoder, 0);
            }
            // Decoding is CPU work that may not yield at all (a PCM WAV file is read without
            // waiting on a pipe): on the thread pool, so that the caller gets its thread back and
            // requests started together decode in parallel.
            var lent = decoder;
            return await Task.Run(() => decode(lent), CancellationToken.None);
        }
        finally
        {
            if (decoder is not null && decoder.KeytermWordsAdded > MaxKeytermWordsPerDecoder)
            {
                // Requests' words stay in a decoder's dictionary; past the limit it makes way for a new one.
                _all.TryRemove(decoder, out _);
                decoder.Dispose();
            }
            else if (decoder is not null)
            {
                GiveBack(decoder);
            }
            _available.Release();
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var decoder in _all.Keys) decoder.Dispose();
        _available.Dispose();
    }
}
