using CustomModels.Speech.Audio;

namespace CustomModels.Speech.Tests.Audio;

public sealed class AudioConversionTests : IDisposable
{
    private const string Librivox = "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav";
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("audio-");

    [Theory]
    [InlineData("mp3", "libmp3lame")]
    [InlineData("flac", "flac")]
    [InlineData("m4a", "aac")]
    [InlineData("aac", "aac")]
    [InlineData("ogg", "libvorbis")]
    [InlineData("wav", "pcm_s16le")]
    public async Task EveryUploadFormatBecomes16KilohertzMonoPcmOfTheSameLength(string extension, string codec)
    {
        // A stereo 44.1 kHz version of the recording, encoded in the format under test.
        var input = Path.Combine(_work.FullName, "speech." + extension);
        await FfmpegTool.RunAsync("-i", Librivox, "-ac", "2", "-ar", "44100", "-c:a", codec, input);

        var info = await AudioProbe.ProbeAsync(input);
        Assert.Equal(2, info.Channels);
        Assert.Equal(44100, info.SampleRate);
        Assert.InRange(info.DurationSeconds, 2.9, 3.2);

        var output = Path.Combine(_work.FullName, "speech.raw");
        await AudioConverter.ConvertToPcmFileAsync(input, output);
        // 16,000 samples of 2 bytes a second; lossy codecs pad a few milliseconds.
        Assert.InRange(new FileInfo(output).Length / 32000.0, 2.9, 3.2);
    }

    [Fact]
    public async Task TextIsRefusedWithAReasonThatNamesNoServerPath()
    {
        var input = Path.Combine(_work.FullName, "notes.mp3");
        await File.WriteAllTextAsync(input, "this is not audio at all, just some text pretending to be an mp3");

        var error = await Assert.ThrowsAsync<AudioDecodeException>(() => AudioProbe.ProbeAsync(input));
        Assert.StartsWith("audio file could not be decoded: ", error.Message);
        Assert.DoesNotContain(_work.FullName, error.Message);
    }

    [Fact]
    public async Task AnEmptyFileIsRefused()
    {
        var input = Path.Combine(_work.FullName, "empty.wav");
        await File.WriteAllBytesAsync(input, []);
        var error = await Assert.ThrowsAsync<AudioDecodeException>(() => AudioConverter.ConvertToPcmFileAsync(input, input + ".raw"));
        Assert.Contains("empty", error.Message);
        Assert.False(File.Exists(input + ".raw"));
    }

    [Fact]
    public async Task AVideoWithoutSoundIsRefused()
    {
        var input = Path.Combine(_work.FullName, "silent-film.mkv");
        await FfmpegTool.RunAsync("-f", "lavfi", "-i", "color=c=black:s=32x32:d=1", "-c:v", "ffv1", input);
        var error = await Assert.ThrowsAsync<AudioDecodeException>(() => AudioProbe.ProbeAsync(input));
        Assert.Contains("no audio stream", error.Message);
    }

    [Fact]
    public async Task ATruncatedFileIsRefused()
    {
        var input = Path.Combine(_work.FullName, "cut.flac");
        await FfmpegTool.RunAsync("-i", Librivox, input);
        var bytes = await File.ReadAllBytesAsync(input);
        await File.WriteAllBytesAsync(input, bytes[..60]);
        await Assert.ThrowsAsync<AudioDecodeException>(() => AudioConverter.ConvertToPcmFileAsync(input, input + ".raw"));
    }

    [Fact]
    public async Task CancellingStopsTheConversionAndLeavesNoOutput()
    {
        // Ten minutes of generated tone: long enough that the conversion is still running when cancelled.
        var input = Path.Combine(_work.FullName, "long.flac");
        await FfmpegTool.RunAsync("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000:duration=600", input);
        var output = Path.Combine(_work.FullName, "long.raw");
        using var cancellation = new CancellationTokenSource();
        await using var audio = await PcmAudioStream.OpenAsync(input, cancellation.Token);
        var block = new byte[4096];
        Assert.True(await audio.Pcm.ReadAsync(block, cancellation.Token) > 0);
        cancellation.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            while (await audio.Pcm.ReadAsync(block, cancellation.Token) > 0) { }
            await audio.CompleteAsync(cancellation.Token);
        });
        Assert.False(File.Exists(output));
    }

    public void Dispose() => _work.Delete(recursive: true);
}
