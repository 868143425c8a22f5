using CustomModels.Speech.Audio;

namespace CustomModels.Speech.Tests.Audio;

/// <summary>
/// 16 kHz mono 16-bit PCM WAV is read without ffmpeg; the samples must be exactly those ffmpeg
/// gives, and everything else must still go through ffmpeg, with its errors.
/// </summary>
public sealed class PcmAudioStreamTests : IDisposable
{
    private const string LibrivoxDirectory = "/usr/share/pocketsphinx/test/data/librivox";
    private const string Librivox = LibrivoxDirectory + "/sense_and_sensibility_01_austen_64kb-0880.wav";
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("pcm-");

    public static TheoryData<string> LibrivoxFiles() => new(Directory.GetFiles(LibrivoxDirectory, "*.wav").Order());

    [Theory]
    [MemberData(nameof(LibrivoxFiles))]
    public async Task A16KilohertzMonoWavIsReadDirectlyAndGivesFfmpegsSamples(string path)
    {
        var (direct, converted) = await ReadBothWaysAsync(path);
        Assert.False(direct.IsConverted);
        Assert.True(converted.IsConverted);
        Assert.Equal(direct.Bytes, converted.Bytes);
        Assert.Equal((new FileInfo(path).Length - 44) / 32000.0, direct.Seconds, 6);
    }

    [Fact]
    public async Task OtherChunksBeforeAndAfterTheSamplesAreSkippedAsFfmpegSkipsThem()
    {
        // ffmpeg writes a LIST chunk (metadata) before the data; a trailing chunk is appended by hand.
        var input = Path.Combine(_work.FullName, "tagged.wav");
        await FfmpegTool.RunAsync("-i", Librivox, "-metadata", "title=a recording", "-c:a", "pcm_s16le", input);
        await using (var file = new FileStream(input, FileMode.Append))
            file.Write([(byte)'i', (byte)'d', (byte)'3', (byte)' ', 3, 0, 0, 0, 1, 2, 3, 0]);

        var (direct, converted) = await ReadBothWaysAsync(input);
        Assert.False(direct.IsConverted);
        Assert.Equal(converted.Bytes, direct.Bytes);
    }

    [Theory]
    [InlineData("-ar", "44100", "-c:a", "pcm_s16le")]   // another rate
    [InlineData("-ac", "2", "-c:a", "pcm_s16le")]        // stereo
    [InlineData("-c:a", "pcm_u8")]                       // 8-bit
    [InlineData("-c:a", "pcm_f32le")]                    // float
    [InlineData("-c:a", "pcm_s16be", "-f", "aiff")]      // not RIFF (written as .wav anyway)
    public async Task AnyOtherWavGoesThroughFfmpeg(params string[] encoding)
    {
        var input = Path.Combine(_work.FullName, "other.wav");
        await FfmpegTool.RunAsync(["-i", Librivox, .. encoding, input]);
        await using var audio = await PcmAudioStream.OpenAsync(input);
        Assert.True(audio.IsConverted);
        await audio.Pcm.CopyToAsync(Stream.Null);
        await audio.CompleteAsync();
        Assert.InRange(audio.SecondsRead, 2.9, 3.1);
    }

    [Fact]
    public async Task AHeaderThatPromisesMoreThanTheFileHoldsGoesThroughFfmpeg()
    {
        var input = Path.Combine(_work.FullName, "cut.wav");
        var bytes = await File.ReadAllBytesAsync(Librivox);
        await File.WriteAllBytesAsync(input, bytes[..(bytes.Length / 2)]);
        await using var audio = await PcmAudioStream.OpenAsync(input);
        Assert.True(audio.IsConverted);
    }

    [Fact]
    public async Task TextIsRefusedAsAnUnrecognizedFormatWithoutNamingTheServerPath()
    {
        var input = Path.Combine(_work.FullName, "notes.wav");
        await File.WriteAllTextAsync(input, "this is not audio at all, just some text pretending to be a wav file");
        var error = await Assert.ThrowsAsync<AudioDecodeException>(() => ReadAsync(input));
        Assert.StartsWith("audio file could not be decoded: the format is not recognized", error.Message);
        Assert.DoesNotContain(_work.FullName, error.Message);
    }

    [Fact]
    public async Task AVideoWithoutSoundIsRefused()
    {
        var input = Path.Combine(_work.FullName, "silent-film.mkv");
        await FfmpegTool.RunAsync("-f", "lavfi", "-i", "color=c=black:s=32x32:d=1", "-c:v", "ffv1", input);
        var error = await Assert.ThrowsAsync<AudioDecodeException>(() => ReadAsync(input));
        Assert.Contains("no audio stream", error.Message);
    }

    [Fact]
    public async Task AWavWithNoSamplesIsRefused()
    {
        var input = Path.Combine(_work.FullName, "nothing.wav");
        await File.WriteAllBytesAsync(input, (await File.ReadAllBytesAsync(Librivox))[..44]);
        var error = await Assert.ThrowsAsync<AudioDecodeException>(() => ReadAsync(input));
        Assert.Contains("no duration", error.Message);
    }

    [Fact]
    public async Task AnEmptyFileIsRefused()
    {
        var input = Path.Combine(_work.FullName, "empty.wav");
        await File.WriteAllBytesAsync(input, []);
        var error = await Assert.ThrowsAsync<AudioDecodeException>(() => ReadAsync(input));
        Assert.Contains("empty", error.Message);
    }

    [Fact]
    public async Task ReadingADirectWavIsCancelledBetweenBlocks()
    {
        await using var audio = await PcmAudioStream.OpenAsync(Librivox);
        using var cancellation = new CancellationTokenSource();
        var block = new byte[8000];
        await audio.Pcm.ReadExactlyAsync(block, cancellation.Token);
        cancellation.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await audio.Pcm.ReadExactlyAsync(block, cancellation.Token));
    }

    private sealed record Read(bool IsConverted, byte[] Bytes, double Seconds);

    private static async Task<(Read Direct, Read Converted)> ReadBothWaysAsync(string path)
    {
        await using var direct = await PcmAudioStream.OpenAsync(path);
        await using var converted = PcmAudioStream.OpenWithFfmpeg(path);
        return (await ReadToEndAsync(direct), await ReadToEndAsync(converted));
    }

    private static async Task<Read> ReadToEndAsync(PcmAudioStream audio)
    {
        var bytes = new MemoryStream();
        // Odd-sized blocks, as a pipe may deliver them.
        var block = new byte[4097];
        int read;
        while ((read = await audio.Pcm.ReadAsync(block)) > 0) bytes.Write(block, 0, read);
        await audio.CompleteAsync();
        return new Read(audio.IsConverted, bytes.ToArray(), audio.SecondsRead);
    }

    private static async Task ReadAsync(string path)
    {
        await using var audio = await PcmAudioStream.OpenAsync(path);
        await audio.Pcm.CopyToAsync(Stream.Null);
        await audio.CompleteAsync();
    }

    public void Dispose() => _work.Delete(recursive: true);
}
