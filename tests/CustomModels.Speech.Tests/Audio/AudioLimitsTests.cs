using CustomModels.Speech.Audio;

namespace CustomModels.Speech.Tests.Audio;

/// <summary>
/// ffprobe and ffmpeg read an uploaded file as audio of an accepted format only: a playlist or a
/// concat list that names another file is refused, and decoding stops at the length limit.
/// </summary>
public sealed class AudioLimitsTests : IDisposable
{
    private const string Librivox = "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav";
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("limits-");

    public void Dispose() => _work.Delete(recursive: true);

    /// <summary>Lists that name a real audio file beside them: ffmpeg with every format enabled reads them as that audio.</summary>
    public static TheoryData<string, string> Playlists() => new()
    {
        { "list.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:3.0,\n{0}\n#EXT-X-ENDLIST\n" },
        { "list.ffconcat", "ffconcat version 1.0\nfile '{0}'\n" },
        { "list.m3u", "#EXTM3U\n{0}\n" },
    };

    [Theory]
    [MemberData(nameof(Playlists))]
    public async Task A_playlist_or_concat_list_naming_another_file_is_not_read(string name, string text)
    {
        var audio = Path.Combine(_work.FullName, "inside.wav");
        await FfmpegTool.RunAsync("-i", Librivox, "-ar", "8000", audio); // not read directly: it must go through ffmpeg
        var list = Path.Combine(_work.FullName, name);
        await File.WriteAllTextAsync(list, text.Replace("{0}", audio));

        await Assert.ThrowsAsync<AudioDecodeException>(() => AudioProbe.ProbeAsync(list));
        await using var stream = await PcmAudioStream.OpenAsync(list);
        var read = await ReadAllAsync(stream.Pcm);
        await Assert.ThrowsAsync<AudioDecodeException>(() => stream.CompleteAsync());
        Assert.Equal(0, read);
        // The file the list names is audio that both read when asked for it directly.
        Assert.InRange((await AudioProbe.ProbeAsync(audio)).DurationSeconds, 2.9, 3.1);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Decoding_stops_at_the_length_limit(bool allowDirect)
    {
        // 2.99 s of audio (read directly, or converted by ffmpeg) against a limit of 1 s.
        await using var stream = PcmAudioStream.Open(Librivox, allowDirect, maxSeconds: 1, CancellationToken.None);
        Assert.Equal(!allowDirect, stream.IsConverted);
        var error = await Assert.ThrowsAsync<AudioDecodeException>(() => ReadAllAsync(stream.Pcm));
        Assert.Contains("longer than the limit of 1 seconds", error.Message);
        Assert.InRange(stream.SecondsRead, 1, 1.0001); // one sample past the limit at most

        // Under the limit the whole file is read.
        await using var whole = PcmAudioStream.Open(Librivox, allowDirect, maxSeconds: 3, CancellationToken.None);
        await ReadAllAsync(whole.Pcm);
        await whole.CompleteAsync();
        Assert.InRange(whole.SecondsRead, 2.9, 3);
    }

    private static async Task<long> ReadAllAsync(Stream pcm)
    {
        var buffer = new byte[8192];
        long total = 0;
        int read;
        while ((read = await pcm.ReadAsync(buffer)) > 0) total += read;
        return total;
    }
}
