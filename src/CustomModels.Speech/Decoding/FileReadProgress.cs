namespace CustomModels.Speech.Decoding;

/// <summary>
/// How far native code in this process has read a file it reads without reporting progress
/// (sphinxbase reading an ARPA model): the offset of the descriptor that has the file open, from
/// Linux's /proc/self/fdinfo, over the file's length. Polled on a timer while the native call runs.
/// </summary>
internal sealed class FileReadProgress : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    private readonly string _path;
    private readonly long _length;
    private readonly Action<double> _progress;
    private readonly Timer _timer;
    private readonly Lock _lock = new();
    private bool _stopped;

    /// <param name="progress">The fraction of the file read, on a timer thread, until disposed.</param>
    public FileReadProgress(string path, Action<double> progress)
    {
        _path = Path.GetFullPath(path);
        _length = Math.Max(1, new FileInfo(_path).Length);
        _progress = progress;
        _timer = new Timer(_ => Report(), null, Interval, Interval);
    }

    /// <summary>The offset of the first descriptor of this process open on <paramref name="path"/>; null when none is (or /proc cannot say).</summary>
    public static long? OffsetOf(string path)
    {
        var fullPath = Path.GetFullPath(path);
        try
        {
            foreach (var descriptor in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
            {
                if (new FileInfo(descriptor).LinkTarget != fullPath) continue;
                foreach (var line in File.ReadLines($"/proc/self/fdinfo/{Path.GetFileName(descriptor)}"))
                {
                    if (line.StartsWith("pos:", StringComparison.Ordinal)) return long.Parse(line.AsSpan(4).Trim(), System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            // A descriptor closed while it was looked at, or no /proc: nothing to say this time.
        }
        return null;
    }

    private void Report()
    {
        lock (_lock)
        {
            if (!_stopped && OffsetOf(_path) is { } offset) _progress(Math.Min(1, (double)offset / _length));
        }
    }

    public void Dispose()
    {
        lock (_lock) _stopped = true;
        _timer.Dispose();
    }
}
