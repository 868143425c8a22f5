using CustomModels.Core.Training;
using CustomModels.Core.Transcriptions;
using CustomModels.Speech.Decoding;
using CustomModels.Speech.LanguageModel;
using Microsoft.Extensions.Options;

namespace CustomModels.Core.Tests.Transcriptions;

/// <summary>
/// <see cref="DecoderCache"/> with real decoders of small custom models: beyond its capacity the
/// custom model used least recently is let go, a pool still lent out keeps serving its job, and a
/// pool let go is disposed once its last user gives it back.
/// </summary>
public sealed class DecoderCacheTests : IDisposable
{
    readonly DirectoryInfo work = Directory.CreateTempSubdirectory("decoder-cache-");

    [Fact]
    public async Task Beyond_its_capacity_the_custom_model_used_least_recently_is_let_go()
    {
        using var cache = new DecoderCache(Options.Create(new TranscriptionOptions { Jobs = { Loops = 1 }, CachedCustomModels = 2 }));
        var a = await RentedPoolAsync(cache, 1);
        var b = await RentedPoolAsync(cache, 2);
        Assert.Same(a, await RentedPoolAsync(cache, 1)); // a is now used more recently than b
        var c = await RentedPoolAsync(cache, 3);

        await DisposedAsync(b);
        Assert.Same(a, await RentedPoolAsync(cache, 1));
        Assert.Same(c, await RentedPoolAsync(cache, 3));
        var bAgain = await RentedPoolAsync(cache, 2);
        Assert.NotSame(b, bAgain);
        Assert.NotNull(await bAgain.DecodeFileAsync(Silence()));
    }

    [Fact]
    public async Task A_pool_let_go_while_lent_out_serves_its_job_and_is_disposed_when_given_back()
    {
        using var cache = new DecoderCache(Options.Create(new TranscriptionOptions { Jobs = { Loops = 1 }, CachedCustomModels = 1 }));
        var held = await RentAsync(cache, 1);
        var b = await RentedPoolAsync(cache, 2); // takes the one place: model 1 is let go

        var transcript = await held.Pool.DecodeFileAsync(Silence());
        Assert.Equal(1.0, transcript.AudioSeconds, 1);
        Assert.NotSame(held.Pool, await RentedPoolAsync(cache, 1)); // a new pool for the next job, which lets b go

        held.Dispose();
        await DisposedAsync(held.Pool);
        await DisposedAsync(b);
    }

    /// <summary>Rents model <paramref name="modelId"/>'s pool (its artifact made on first use) and gives it back at once.</summary>
    async Task<DecoderPool> RentedPoolAsync(DecoderCache cache, long modelId)
    {
        using var lease = await RentAsync(cache, modelId);
        return lease.Pool;
    }

    Task<DecoderLease> RentAsync(DecoderCache cache, long modelId) =>
        cache.RentCustomAsync(modelId, "v1", Artifact(modelId), DecoderSettings.Default, CancellationToken.None);

    /// <summary>A trained model's artifact, written as the pipeline writes one: a small domain language model and no new words.</summary>
    ModelArtifact Artifact(long modelId)
    {
        var folder = Path.Combine(work.FullName, modelId.ToString());
        if (Directory.Exists(folder)) return new ModelArtifact(folder);
        var artifact = ModelArtifact.Create(folder);
        string[] domain = ["continue metoprolol for rate control", "start apixaban for atrial fibrillation", "troponin was negative"];
        ArpaWriter.Write(KneserNeyEstimator.Estimate(domain).Model, artifact.LanguageModelPath);
        artifact.WriteDictionary([]);
        artifact.WriteModelFileAsync(new TrainedModelFile("en", 3, InterpolationWeight: 0.5), CancellationToken.None).GetAwaiter().GetResult();
        return artifact;
    }

    /// <summary>One second of silence, 16 kHz 16-bit mono WAV.</summary>
    string Silence()
    {
        var path = Path.Combine(work.FullName, "silence.wav");
        if (File.Exists(path)) return path;
        const int rate = 16_000, bytes = rate * 2;
        using var w = new BinaryWriter(File.Create(path));
        w.Write("RIFF"u8); w.Write(36 + bytes); w.Write("WAVE"u8);
        w.Write("fmt "u8); w.Write(16); w.Write((short)1); w.Write((short)1); w.Write(rate); w.Write(rate * 2); w.Write((short)2); w.Write((short)16);
        w.Write("data"u8); w.Write(bytes); w.Write(new byte[bytes]);
        return path;
    }

    /// <summary>
    /// Waits until <paramref name="pool"/> is disposed, which the cache does on the thread pool once
    /// the pool is let go and given back; a minute without it is a failure (liveness, not a timing).
    /// </summary>
    static async Task DisposedAsync(DecoderPool pool)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            try { await pool.WarmUpAsync(); } // nothing to build in a warm pool; throws once it is disposed
            catch (ObjectDisposedException) { return; }
            Assert.True(DateTime.UtcNow < deadline, "the pool was not disposed");
            await Task.Delay(20);
        }
    }

    public void Dispose() => work.Delete(recursive: true);
}
