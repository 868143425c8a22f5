using CustomModels.Core.Data;
using CustomModels.Core.Jobs;
using CustomModels.Speech.Settings;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CustomModels.Core.Storage;

/// <summary>
/// Removes the files under models/ and transcriptions/ that no row refers to: what a process that
/// died between moving a file into place and committing its row left (an upload, a training's
/// artifact, a transcription's result), a training attempt's work folder after a crash, and what
/// is left of a model or transcription whose row was deleted first (a crash before its files went,
/// or a worker that published into it meanwhile). tmp/ is <see cref="TempSweeper"/>'s.
/// <para>
/// Every process sharing the data folder runs a pass at start-up and then every half of
/// <see cref="Options.Grace"/> (CUSTOMMODELS_ORPHAN_GRACE_SECONDS, default an hour); passes of
/// several processes may overlap, since each removes only what no row names. A pass is safe against
/// writers that move a file into place before committing the row that names it, because:
/// it lists the disk before it reads the rows, so a row committed before it looked is seen;
/// nothing touched within the grace period is removed (<see cref="BlobStore.Publish"/> stamps what
/// it moves with the time of the move), so a row still about to commit keeps its file; and a model
/// with a training job running keeps its work folders and unversioned artifacts whatever their age.
/// A transcription's folder is kept whole while its job runs.
/// </para>
/// </summary>
public sealed class StorageReconciler(BlobStore blobs, IServiceScopeFactory scopes, IOptions<StorageReconciler.Options> settings,
    TimeProvider time, ILogger<StorageReconciler> log) : BackgroundService
{
    /// <summary>Settings (see <see cref="SettingsOptions"/>).</summary>
    public sealed class Options
    {
        public TimeSpan Grace { get; set; } = TimeSpan.FromHours(1);

        public void Read(SettingsReader settings) => Grace = settings.Seconds("CUSTOMMODELS_ORPHAN_GRACE_SECONDS", Grace);
    }

    readonly Options options = settings.Value;

    /// <summary>Rows are read for this many model or transcription folders at a time.</summary>
    const int Batch = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Grace / 2, time);
        try
        {
            do
            {
                // A pass that fails (the database or the disk unreachable) is tried again at the next tick, never fatal to the process.
                try { await ReconcileAsync(stoppingToken); }
                catch (Exception e) when (e is not OperationCanceledException) { log.LogWarning(e, "Removing unreferenced files failed"); }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>One pass over the data folder; the paths (relative to it) it removed.</summary>
    public async Task<IReadOnlyList<string>> ReconcileAsync(CancellationToken ct)
    {
        var removed = new List<string>();
        foreach (var chunk in Subfolders(StorageLayout.ModelsFolder).Select(StorageLayout.ModelIdOfFolder).OfType<long>().Chunk(Batch))
            await ReconcileModelsAsync(chunk, removed, ct);
        foreach (var chunk in Subfolders(StorageLayout.TranscriptionsFolder).Chunk(Batch))
            await ReconcileTranscriptionsAsync(chunk, removed, ct);
        return removed;
    }

    async Task ReconcileModelsAsync(long[] modelIds, List<string> removed, CancellationToken ct)
    {
        // The disk first, then the rows (see the class's remarks).
        var onDisk = modelIds.Select(id => (Id: id,
            Data: Files(StorageLayout.DataFolder(id)),
            Artifacts: Subfolders(StorageLayout.ArtifactsFolder(id)).Select(name => StorageLayout.ArtifactFolder(id, name)).ToList(),
            Work: Subfolders(StorageLayout.WorkFolders(id)).Select(name => StorageLayout.WorkFolder(id, name)).ToList())).ToList();

        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var models = (await db.CustomModels.AsNoTracking().Where(m => modelIds.Contains(m.Id))
            .Select(m => new { m.Id, m.ArtifactName }).ToListAsync(ct)).ToDictionary(m => m.Id, m => m.ArtifactName);
        var training = (await db.TrainingJobs.AsNoTracking().Where(j => modelIds.Contains(j.ModelId) && j.State == JobState.Running)
            .Select(j => j.ModelId).ToListAsync(ct)).ToHashSet();
        var artifacts = (await db.ModelVersions.AsNoTracking().Where(v => modelIds.Contains(v.ModelId))
            .Select(v => new { v.ModelId, v.ArtifactName }).ToListAsync(ct))
            .Select(v => StorageLayout.ArtifactFolder(v.ModelId, v.ArtifactName))
            .Concat(models.Where(m => m.Value is not null).Select(m => StorageLayout.ArtifactFolder(m.Key, m.Value!)))
            .ToHashSet(StringComparer.Ordinal);
        var data = (await db.DataSets.AsNoTracking().Where(d => modelIds.Contains(d.ModelId))
            .Select(d => new { d.TranscriptBlob, d.AudioBlob }).ToListAsync(ct))
            .SelectMany(d => new[] { d.TranscriptBlob, d.AudioBlob }).OfType<string>().ToHashSet(StringComparer.Ordinal);

        foreach (var model in onDisk)
        {
            if (!models.ContainsKey(model.Id))
            {
                Remove(StorageLayout.ModelFolder(model.Id), "its model was deleted", removed);
                continue;
            }
            foreach (var file in model.Data.Where(f => !data.Contains(f)))
                Remove(file, "no data set names it", removed);
            if (training.Contains(model.Id)) continue; // its attempt works and publishes here
            foreach (var artifact in model.Artifacts.Where(a => !artifacts.Contains(a)))
                Remove(artifact, "no version names it", removed);
            foreach (var work in model.Work)
                Remove(work, "no training of its model is running", removed);
        }
    }

    async Task ReconcileTranscriptionsAsync(string[] publicIds, List<string> removed, CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var rows = (await db.Transcriptions.AsNoTracking().Where(t => publicIds.Contains(t.PublicId))
            .Select(t => new { t.PublicId, t.State, t.AudioBlob, t.ResultBlob }).ToListAsync(ct)).ToDictionary(t => t.PublicId, StringComparer.Ordinal);
        foreach (var publicId in publicIds)
        {
            if (!rows.TryGetValue(publicId, out var row))
                Remove(StorageLayout.TranscriptionFolder(publicId), "its transcription was deleted", removed);
            else if (row.State != JobState.Running)
            {
                // What it does not name is an earlier attempt's: a file that an attempt which
                // started after the row was read writes is younger than the grace period.
                foreach (var file in Files(StorageLayout.TranscriptionFolder(publicId)).Where(f => f != row.AudioBlob && f != row.ResultBlob))
                    Remove(file, "its transcription does not name it", removed);
            }
        }
    }

    /// <summary>Removes a file or folder untouched (itself and everything in it) for the grace period; logs it.</summary>
    void Remove(string relative, string reason, List<string> removed)
    {
        var path = blobs.FullPath(relative);
        // The file system's clock, which dated the files (not the service's TimeProvider, which a test may move).
        var untouchedSince = DateTime.UtcNow - options.Grace;
        if (LastWrite(path) is not { } written || written > untouchedSince) return;
        blobs.DeleteQuietly(relative);
        if (File.Exists(path) || Directory.Exists(path)) return; // another process's pass took it, or it could not be removed
        log.LogInformation("Removed {Path}: {Reason}", relative, reason);
        removed.Add(relative);
    }

    /// <summary>The latest write to a file, or to a folder or anything in it; null when it no longer exists.</summary>
    static DateTime? LastWrite(string path)
    {
        try
        {
            if (File.Exists(path)) return File.GetLastWriteTimeUtc(path);
            var folder = new DirectoryInfo(path);
            if (!folder.Exists) return null;
            return folder.EnumerateFileSystemInfos("*", SearchOption.AllDirectories).Select(e => e.LastWriteTimeUtc)
                .Append(folder.LastWriteTimeUtc).Max();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // removed while we looked
        }
    }

    /// <summary>The names of the folders in a folder of the data folder (none if it does not exist).</summary>
    List<string> Subfolders(string relative)
    {
        var folder = new DirectoryInfo(blobs.FullPath(relative));
        return folder.Exists ? folder.EnumerateDirectories().Select(d => d.Name).ToList() : [];
    }

    /// <summary>The files directly in a folder of the data folder, as relative paths (none if it does not exist).</summary>
    List<string> Files(string relative)
    {
        var folder = new DirectoryInfo(blobs.FullPath(relative));
        return folder.Exists ? folder.EnumerateFiles().Select(f => Path.Combine(relative, f.Name)).ToList() : [];
    }
}
