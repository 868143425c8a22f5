using CustomModels.Core.Data;
using CustomModels.Speech.Settings;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CustomModels.Core.Storage;

/// <summary>
/// Files under the data folder (where each lives: <see cref="StorageLayout"/>). A blob is written
/// under tmp/ and renamed into place only when whole, so a path that a database row names always
/// holds a complete file.
/// </summary>
public sealed class BlobStore(StorageSettings storage)
{
    public string Root => storage.DataDirectory;
    string TempRoot => Path.Combine(Root, StorageLayout.TempFolder);

    /// <summary>
    /// This process's own folder under tmp/: every process sharing the data folder writes its
    /// unfinished files in a folder of its own, whose modification time is its heartbeat (see
    /// <see cref="TempSweeper"/>).
    /// </summary>
    string ProcessTemp { get; } = Path.Combine(storage.DataDirectory, StorageLayout.TempFolder,
        $"{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..12]}");

    /// <summary>A fresh path for a file being written; nothing else will use it.</summary>
    public string NewTempPath(string suffix = "")
    {
        Directory.CreateDirectory(ProcessTemp);
        return Path.Combine(ProcessTemp, Guid.NewGuid().ToString("N") + suffix);
    }

    public string FullPath(string relative) => Path.Combine(Root, relative);

    /// <summary>
    /// Moves a finished temporary file or folder to its relative place (same file system: a rename)
    /// and dates it now: the row that will name it commits next, and until then only its age keeps
    /// <see cref="StorageReconciler"/> from taking it (a rename keeps the time of the last write,
    /// which for a slow upload or a long training may be long before).
    /// </summary>
    public void Publish(string tempPath, string relative)
    {
        var target = FullPath(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        if (Directory.Exists(tempPath))
        {
            Directory.Move(tempPath, target);
            Directory.SetLastWriteTimeUtc(target, DateTime.UtcNow);
        }
        else
        {
            File.Move(tempPath, target);
            File.SetLastWriteTimeUtc(target, DateTime.UtcNow);
        }
    }

    public void DeleteQuietly(string? relativeOrFull)
    {
        if (string.IsNullOrEmpty(relativeOrFull)) return;
        var path = Path.IsPathRooted(relativeOrFull) ? relativeOrFull : FullPath(relativeOrFull);
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            else File.Delete(path);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Touches this process's temp folder (the heartbeat), then deletes every other entry under
    /// tmp/ untouched for longer than <paramref name="abandonedAfter"/>: the folder of a process
    /// that died (SIGKILL, a lost machine) with whatever half-written files it held.
    /// </summary>
    public void SweepAbandonedTemp(TimeSpan abandonedAfter)
    {
        Directory.CreateDirectory(ProcessTemp);
        Directory.SetLastWriteTimeUtc(ProcessTemp, DateTime.UtcNow);
        foreach (var entry in new DirectoryInfo(TempRoot).EnumerateFileSystemInfos())
            if (entry.FullName != ProcessTemp && DateTime.UtcNow - entry.LastWriteTimeUtc > abandonedAfter)
                DeleteQuietly(entry.FullName);
    }
}

/// <summary>
/// Removes what processes killed mid-upload left under tmp/, at start-up and then every quarter
/// of <see cref="Options.AbandonedAfter"/> (CUSTOMMODELS_TEMP_ABANDONED_SECONDS, default ten minutes).
/// Many API processes and workers may share one data folder, so a sweep must never take a live
/// process's upload. The age of a file cannot tell: a live upload may leave its file untouched
/// for long (a slow client sending a later part, ffprobe reading a large file). So each process
/// keeps its files in a folder of its own and touches that folder at every sweep: a folder
/// untouched for <see cref="Options.AbandonedAfter"/> belongs to a process that stopped running, however
/// old the files in it are. A lock held by the live process would say the same at once, but file
/// locks are not dependable on every shared storage (and .NET goes on silently where flock is not
/// supported), while modification times are; the age only has to be well above the sweep
/// interval and the clock difference between the machines.
/// </summary>
public sealed class TempSweeper(BlobStore blobs, IOptions<TempSweeper.Options> settings, ILogger<TempSweeper> log) : BackgroundService
{
    /// <summary>Settings (see <see cref="SettingsOptions"/>).</summary>
    public sealed class Options
    {
        public TimeSpan AbandonedAfter { get; set; } = TimeSpan.FromMinutes(10);

        public void Read(SettingsReader settings) => AbandonedAfter = settings.Seconds("CUSTOMMODELS_TEMP_ABANDONED_SECONDS", AbandonedAfter);
    }

    readonly Options options = settings.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.AbandonedAfter / 4);
        try
        {
            do
            {
                // A sweep that fails (a full or unreachable disk) is tried again at the next tick, never fatal to the process.
                try { blobs.SweepAbandonedTemp(options.AbandonedAfter); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { log.LogWarning(e, "Sweeping tmp/ failed"); }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) { }
    }
}
