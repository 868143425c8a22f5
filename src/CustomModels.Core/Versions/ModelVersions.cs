using System.Globalization;
using System.Text.Json;
using CustomModels.Core.Data;
using CustomModels.Core.Models;
using CustomModels.Core.Storage;
using CustomModels.Core.Training;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;

namespace CustomModels.Core.Versions;

/// <summary>What publishing a training made: its version, and whether the promotion gate let it serve.</summary>
public sealed record PublishedVersion(int Version, bool Activated, string? Note);

public enum VersionDeletion
{
    Deleted,
    NotFound,
    /// <summary>The active version cannot be deleted: activate another first.</summary>
    Active,
}

/// <summary>
/// The owner of a model's versions: a successful training becomes the next version; the promotion
/// gate decides whether it serves; activation switches the model to another version (its artifact
/// and metrics); deletion removes an inactive version with its artifact. A model carries its
/// active version's artifact name and metrics, so everything that serves or shows the model reads
/// the model alone. The changes of one model are serialized: each runs in a transaction that first
/// locks the model's row (SQLite: the write lock that BEGIN IMMEDIATE takes).
/// </summary>
public sealed class ModelVersions(BlobStore blobs, ModelTraining training, TimeProvider time)
{
    /// <summary>
    /// The promotion gate: a new version serves only if its word error rate on the evaluation audio is
    /// not worse than that of the version active when the training decoded the same audio. Without an
    /// active version, or without figures to compare, there is nothing to guard.
    /// </summary>
    public static bool PassesGate(double? newWordErrorRate, double? activeWordErrorRate) =>
        newWordErrorRate is not { } candidate || activeWordErrorRate is not { } active || candidate <= active;

    /// <summary>The status message of a version the gate kept inactive (README "Versions").</summary>
    public static string NotActivatedNote(int version, double newWordErrorRate, int activeVersion, double activeWordErrorRate) =>
        string.Create(CultureInfo.InvariantCulture,
            $"Version {version} was not activated: {ModelMapping.Round(newWordErrorRate, 1):0.0}% word error rate against version {activeVersion}'s {ModelMapping.Round(activeWordErrorRate, 1):0.0}% on the same audio");

    /// <summary>
    /// Records a finished training of a model that is still training as its next version, whose
    /// artifact is already in place under <paramref name="artifactName"/>, and ends the training
    /// (<see cref="ModelTraining.SucceedAsync"/>), serving the new version if the gate lets it. Null
    /// when the model is gone or no longer training, or <paramref name="finishJob"/> refuses (the
    /// worker lost its job): nothing is recorded then. The job ends in the same transaction.
    /// </summary>
    public async Task<PublishedVersion?> PublishAsync(AppDbContext db, long modelId, long jobId, string artifactName,
        TrainingResult result, bool activateAlways, Func<CancellationToken, Task<bool>> finishJob, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        // Numbers the version and locks the model's row until the end of the transaction.
        var claimed = await db.CustomModels.Where(m => m.Id == modelId && m.TrainingStatus == TrainingStatus.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.LastVersion, m => m.LastVersion + 1), ct);
        if (claimed == 0 || !await finishJob(ct)) return null;
        var number = await db.CustomModels.Where(m => m.Id == modelId).Select(m => m.LastVersion).FirstAsync(ct);
        var metrics = result.Metrics;
        var version = new ModelVersion
        {
            ModelId = modelId, Version = number, CreatedAt = time.UtcNowToSecond(), JobId = jobId, ArtifactName = artifactName,
            EvaluationSource = result.EvaluationSource, DataIds = JsonSerializer.Serialize(result.DataIds),
            WordErrorRate = metrics.WordErrorRate, BaseWordErrorRate = metrics.BaseWordErrorRate,
            AccuracyImprovement = metrics.AccuracyImprovement, CharacterErrorRate = metrics.CharacterErrorRate, TrainingHours = metrics.TrainingHours,
        };
        db.ModelVersions.Add(version);
        await db.SaveChangesAsync(ct);

        var activate = activateAlways || result.ComparedVersion is null || PassesGate(metrics.WordErrorRate, result.ComparedWordErrorRate);
        var note = activate ? null
            : NotActivatedNote(number, metrics.WordErrorRate!.Value, result.ComparedVersion!.Value, result.ComparedWordErrorRate!.Value);
        if (!await training.SucceedAsync(db, modelId, activate ? version : null, note, ct)) return null;
        await transaction.CommitAsync(ct);
        return new PublishedVersion(number, activate, note);
    }

    /// <summary>Makes <paramref name="number"/> the model's active version; false when the model has no such version.</summary>
    public async Task<bool> ActivateAsync(AppDbContext db, long modelId, int number, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await LockModelAsync(db, modelId, ct);
        var version = await db.ModelVersions.AsNoTracking().FirstOrDefaultAsync(v => v.ModelId == modelId && v.Version == number, ct);
        if (version is null) return false;
        var now = time.UtcNowToSecond();
        await db.CustomModels.Where(m => m.Id == modelId).ExecuteUpdateAsync(s =>
        {
            Serve(s, version);
            s.SetProperty(m => m.UpdatedAt, now);
        }, ct);
        await transaction.CommitAsync(ct);
        return true;
    }

    /// <summary>Deletes an inactive version and its artifact (its evaluation with it).</summary>
    public async Task<VersionDeletion> DeleteAsync(AppDbContext db, long modelId, int number, CancellationToken ct)
    {
        string artifactName;
        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            await LockModelAsync(db, modelId, ct);
            var version = await db.ModelVersions.AsNoTracking().FirstOrDefaultAsync(v => v.ModelId == modelId && v.Version == number, ct);
            if (version is null) return VersionDeletion.NotFound;
            if (await db.CustomModels.AnyAsync(m => m.Id == modelId && m.ActiveVersion == number, ct)) return VersionDeletion.Active;
            await db.ModelVersions.Where(v => v.Id == version.Id).ExecuteDeleteAsync(ct);
            await transaction.CommitAsync(ct);
            artifactName = version.ArtifactName;
        }
        blobs.DeleteQuietly(StorageLayout.ArtifactFolder(modelId, artifactName));
        return VersionDeletion.Deleted;
    }

    /// <summary>
    /// The model serves the version: its artifact and its metrics, and no note of a version left
    /// inactive. The one place that says what serving a version sets (activation and a training that passes the gate).
    /// </summary>
    public static void Serve(UpdateSettersBuilder<CustomModel> s, ModelVersion version) => s
        .SetProperty(m => m.ActiveVersion, version.Version)
        .SetProperty(m => m.ArtifactName, version.ArtifactName)
        .SetProperty(m => m.WordErrorRate, version.WordErrorRate)
        .SetProperty(m => m.BaseWordErrorRate, version.BaseWordErrorRate)
        .SetProperty(m => m.CharacterErrorRate, version.CharacterErrorRate)
        .SetProperty(m => m.AccuracyImprovement, version.AccuracyImprovement)
        .SetProperty(m => m.TrainingHours, version.TrainingHours)
        .SetProperty(m => m.StatusNote, (string?)null);

    /// <summary>PostgreSQL: holds the model's row until the transaction ends. SQLite's transaction already holds the database's write lock.</summary>
    static async Task LockModelAsync(AppDbContext db, long modelId, CancellationToken ct)
    {
        if (db.IsPostgres)
            await db.Database.ExecuteSqlInterpolatedAsync($"SELECT 1 FROM custom_models WHERE \"Id\" = {modelId} FOR UPDATE", ct);
    }
}
