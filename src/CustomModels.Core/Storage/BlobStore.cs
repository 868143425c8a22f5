using CustomModels.Core.Data;

namespace CustomModels.Core.Storage;

/// <summary>
/// Files under the data folder. A blob is written under tmp/ and renamed into place only when
/// whole, so a path that a database row names always holds a complete file.
/// </summary>
public sealed class BlobStore(StorageSettings storage)
{
    public string Root => storage.DataDirectory;
    string TempDirectory => Path.Combine(Root, "tmp");

    /// <summary>A fresh path for a file being written; nothing else will use it.</summary>
    public string NewTempPath(string suffix = "")
    {
        Directory.CreateDirectory(TempDirectory);
        return Path.Combine(TempDirectory, Guid.NewGuid().ToString("N") + suffix);
    }

    public string FullPath(string relative) => Path.Combine(Root, relative);

    public static string ModelFolder(long modelId) => Path.Combine("models", modelId.ToString());

    public static string DataFolder(long modelId) => Path.Combine(ModelFolder(modelId), "data");

    public static string ArtifactFolder(long modelId, string artifactName) => Path.Combine(ModelFolder(modelId), "artifacts", artifactName);

    /// <summary>Moves a finished temporary file or folder to its relative place (same file system: a rename).</summary>
    public void Publish(string tempPath, string relative)
    {
        var target = FullPath(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        if (Directory.Exists(tempPath)) Directory.Move(tempPath, target);
        else File.Move(tempPath, target);
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

    /// <summary>At start-up: files left under tmp/ by a process that died mid-write belong to nobody.</summary>
    public void ClearStaleTemp(TimeSpan olderThan)
    {
        if (!Directory.Exists(TempDirectory)) return;
        foreach (var entry in new DirectoryInfo(TempDirectory).EnumerateFileSystemInfos())
            if (DateTime.UtcNow - entry.LastWriteTimeUtc > olderThan) DeleteQuietly(entry.FullName);
    }
}

/// <summary>
/// Removes what uploads killed mid-way left under tmp/: an entry nobody has written for ten
/// minutes belongs to no live request (a live upload writes continuously; Kestrel ends one that
/// stalls), so API processes sharing the data folder never take each other's files.
/// </summary>
public sealed class TempSweeper(BlobStore blobs) : Microsoft.Extensions.Hosting.BackgroundService
{
    public static readonly TimeSpan Abandoned = TimeSpan.FromMinutes(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(5));
        try
        {
            do blobs.ClearStaleTemp(Abandoned);
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) { }
    }
}
