using Microsoft.Win32.SafeHandles;

namespace CustomModels.Speech.Audio;

/// <summary>
/// An audio file as 16 kHz mono 16-bit little-endian PCM, read in blocks as it is needed: a long
/// recording is never held in memory. A WAV file that already is 16 kHz mono 16-bit PCM (see
/// <see cref="PcmWavFile"/>) is read directly, its samples exactly as ffmpeg would have produced
/// them; anything else is converted by one ffmpeg process, read from its stdout as it is produced.
/// Read <see cref="Pcm"/> to the end, then call <see cref="CompleteAsync"/> to learn whether the
/// whole file decoded. Disposing (or cancelling) kills ffmpeg.
/// </summary>
public sealed class PcmAudioStream : IAsyncDisposable
{
    public const int SampleRate = 16000;
    private const int BytesPerSample = 2;

    private readonly FfmpegProcess? _ffmpeg;
    private readonly SafeFileHandle? _file;
    private readonly CountingStream _pcm;
    private readonly string _path;

    private PcmAudioStream(FfmpegProcess ffmpeg, string path, double maxSeconds)
    {
        _ffmpeg = ffmpeg;
        _path = path;
        _pcm = new CountingStream(ffmpeg.StandardOutput, maxSeconds);
    }

    private PcmAudioStream(SafeFileHandle file, long dataOffset, long dataLength, string path, double maxSeconds)
    {
        _file = file;
        _path = path;
        _pcm = new CountingStream(new FileRangeStream(file, dataOffset, dataLength), maxSeconds);
    }

    /// <summary>The samples, 16-bit little-endian.</summary>
    public Stream Pcm => _pcm;

    /// <summary>Whether ffmpeg converts the file (false: a 16 kHz mono 16-bit PCM WAV read directly).</summary>
    public bool IsConverted => _ffmpeg is not null;

    /// <summary>Seconds of audio read from <see cref="Pcm"/> so far (all of it once read to the end).</summary>
    public double SecondsRead => _pcm.BytesRead / (double)(BytesPerSample * SampleRate);

    /// <summary>
    /// Opens the file: directly when it is 16 kHz mono 16-bit PCM WAV, otherwise by starting ffmpeg.
    /// Audio that ffmpeg cannot use (not audio, no audio stream, damaged, no samples) is reported
    /// by <see cref="CompleteAsync"/>, with ffmpeg's reason.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="AudioDecodeException">The file is empty.</exception>
    /// <param name="maxSeconds">Reading past this much audio throws <see cref="AudioDecodeException"/>.</param>
    public static Task<PcmAudioStream> OpenAsync(string path, CancellationToken cancellationToken = default,
        double maxSeconds = AudioLimits.DefaultMaxSeconds) =>
        Task.FromResult(Open(path, allowDirect: true, maxSeconds, cancellationToken));

    /// <summary>Always through ffmpeg, even for a WAV file that could be read directly (tests compare the two).</summary>
    internal static PcmAudioStream OpenWithFfmpeg(string path, CancellationToken cancellationToken = default) =>
        Open(path, allowDirect: false, AudioLimits.DefaultMaxSeconds, cancellationToken);

    /// <summary>
    /// Reading past <paramref name="maxSeconds"/> of audio throws <see cref="AudioDecodeException"/>
    /// (ffmpeg itself stops a second later).
    /// </summary>
    internal static PcmAudioStream Open(string path, bool allowDirect, double maxSeconds, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!File.Exists(path)) throw new FileNotFoundException("audio file not found", path);
        if (new FileInfo(path).Length == 0) throw new AudioDecodeException("the file is empty");

        if (allowDirect)
        {
            var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
            try
            {
                if (PcmWavFile.TryFindSamples(file, SampleRate, out var offset, out var length))
                    return new PcmAudioStream(file, offset, length, path, maxSeconds);
            }
            catch
            {
                file.Dispose();
                throw;
            }
            file.Dispose();
        }

        var ffmpeg = FfmpegProcess.Start("ffmpeg",
            ["-nostdin", "-hide_banner", "-loglevel", "error", .. AudioLimits.InputOptions,
             "-t", (maxSeconds + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), "-i", path, "-map", "0:a:0", "-vn",
             "-ac", "1", "-ar", SampleRate.ToString(), "-acodec", "pcm_s16le", "-f", "s16le", "pipe:1"],
            cancellationToken);
        return new PcmAudioStream(ffmpeg, path, maxSeconds);
    }

    /// <summary>Call once <see cref="Pcm"/> has been read to the end.</summary>
    /// <exception cref="AudioDecodeException">
    /// ffmpeg could not read the file (not audio, no audio stream), stopped before the end of the
    /// audio, or there were no samples at all.
    /// </exception>
    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (_ffmpeg is not null && await _ffmpeg.WaitAsync(cancellationToken) != 0)
        {
            var details = AudioProbe.Describe(_ffmpeg.StderrTail, _path);
            if (_ffmpeg.StderrTail.Contains("matches no streams", StringComparison.Ordinal))
                throw new AudioDecodeException("the file has no audio stream");
            throw new AudioDecodeException(_pcm.BytesRead == 0
                ? $"the format is not recognized ({details})"
                : $"the audio data is damaged ({details})");
        }
        if (_pcm.BytesRead < BytesPerSample)
            throw new AudioDecodeException("the audio has no duration");
    }

    public async ValueTask DisposeAsync()
    {
        if (_ffmpeg is not null) await _ffmpeg.DisposeAsync();
        _file?.Dispose();
    }

    /// <summary>Counts what the reader took, so that empty output can be told from short audio, and stops at the limit.</summary>
    private sealed class CountingStream(Stream inner, double maxSeconds) : ReadOnlyStream
    {
        private readonly long _maxBytes = (long)(maxSeconds * SampleRate) * BytesPerSample;

        public long BytesRead { get; private set; }

        public override int Read(Span<byte> buffer) => Counted(inner.Read(buffer[..Allowed(buffer.Length)]));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Counted(await inner.ReadAsync(buffer[..Allowed(buffer.Length)], cancellationToken));

        /// <summary>No read goes more than one sample past the limit: that sample only tells that there is more.</summary>
        private int Allowed(int length) => (int)Math.Min(length, _maxBytes - BytesRead + BytesPerSample);

        private int Counted(int read)
        {
            BytesRead += read;
            if (BytesRead > _maxBytes) throw AudioLimits.TooLong(maxSeconds);
            return read;
        }
    }

    /// <summary>
    /// A range of a file read with positional reads straight into the caller's buffer: no
    /// FileStream buffer, no copy. Reads are synchronous (a page-cache read of a few KB costs less
    /// than a thread-pool hop); cancellation is seen before each.
    /// </summary>
    private sealed class FileRangeStream(SafeFileHandle file, long offset, long length) : ReadOnlyStream
    {
        private long _position;

        public override int Read(Span<byte> buffer)
        {
            var remaining = length - _position;
            if (remaining <= 0 || buffer.IsEmpty) return 0;
            if (buffer.Length > remaining) buffer = buffer[..(int)remaining];
            var read = RandomAccess.Read(file, buffer, offset + _position);
            _position += read;
            return read;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<int>(cancellationToken);
            return ValueTask.FromResult(Read(buffer.Span));
        }
    }

    private abstract class ReadOnlyStream : Stream
    {
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
