namespace CustomModels.Speech.Audio;

/// <summary>
/// An audio file being converted by ffmpeg to 16 kHz mono 16-bit little-endian PCM, read from
/// ffmpeg's stdout as it is produced: a long recording is never held in memory. Read
/// <see cref="Pcm"/> to the end, then call <see cref="CompleteAsync"/> to learn whether the whole
/// file decoded. Disposing (or cancelling) kills ffmpeg.
/// </summary>
public sealed class PcmAudioStream : IAsyncDisposable
{
    public const int SampleRate = 16000;
    private readonly FfmpegProcess _ffmpeg;
    private readonly string _path;

    private PcmAudioStream(FfmpegProcess ffmpeg, string path, AudioInfo info)
    {
        _ffmpeg = ffmpeg;
        _path = path;
        Info = info;
    }

    public AudioInfo Info { get; }
    public Stream Pcm => _ffmpeg.StandardOutput;

    /// <summary>Probes the file (refusing undecodable or empty audio) and starts the conversion.</summary>
    public static async Task<PcmAudioStream> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        var info = await AudioProbe.ProbeAsync(path, cancellationToken);
        var ffmpeg = FfmpegProcess.Start("ffmpeg",
            ["-nostdin", "-hide_banner", "-loglevel", "error", "-i", path, "-map", "0:a:0", "-vn",
             "-ac", "1", "-ar", SampleRate.ToString(), "-acodec", "pcm_s16le", "-f", "s16le", "pipe:1"],
            cancellationToken);
        return new PcmAudioStream(ffmpeg, path, info);
    }

    /// <exception cref="AudioDecodeException">ffmpeg stopped before the end of the audio.</exception>
    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (await _ffmpeg.WaitAsync(cancellationToken) != 0)
            throw new AudioDecodeException($"the audio data is damaged ({AudioProbe.Describe(_ffmpeg.StderrTail, _path)})");
    }

    public ValueTask DisposeAsync() => _ffmpeg.DisposeAsync();
}
