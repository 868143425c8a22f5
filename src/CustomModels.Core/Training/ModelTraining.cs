using CustomModels.Core.Data;
using CustomModels.Core.Jobs;
using CustomModels.Core.Models;
using CustomModels.Core.Versions;
using Microsoft.EntityFrameworkCore;

namespace CustomModels.Core.Training;

/// <summary>
/// What a transition did: <see cref="Done"/>, and the model's status after it (when done) or the
/// status that refused it; <see cref="Status"/> is null when there is no such model.
/// </summary>
public readonly record struct Transition(bool Done, TrainingStatus? Status)
{
    public bool ModelExists => Status is not null;
}

/// <summary>
/// The one owner of a model's training status. Every change of status
/// is one conditional UPDATE whose WHERE clause names the statuses it may start from, so two
/// requests, or a request and the worker, can never both win: the loser changes nothing and is
/// told the status that refused it. The API, the data uploads and the training worker all call here.
///
///   start          2, 4, 5 (with training data) → 3, and a queued job
///   data added     1, 2, 4, 5 → training data moves 1 to 2, the others stay
///   data removed   1, 2, 4, 5 → 2 and 5 go back to 1 when no training data is left
///   progress       3 → 3 with the new percent
///   succeed        3 → 4, serving the new version (its metrics and artifact) or, when the
///                  promotion gate kept it inactive, the active one with a note saying why
///   fail           3 → 5 with the reason
///   cancel         3 → 4 when a trained artifact still serves, else 2; the model's job ends
/// </summary>
public sealed class ModelTraining(TimeProvider time)
{
    static readonly TrainingStatus[] Startable = [TrainingStatus.ReadyToRun, TrainingStatus.Success, TrainingStatus.Failed];
    static readonly TrainingStatus[] Idle = [TrainingStatus.NotRunning, TrainingStatus.ReadyToRun, TrainingStatus.Success, TrainingStatus.Failed];
    static readonly TrainingStatus[] Training = [TrainingStatus.Running];

    /// <summary>What a cancelled training's job records as its end.</summary>
    public const string CancelledReason = "the training was cancelled";

    /// <summary>
    /// Starts a training: the model to 3 at progress 0, and its job queued, in one transaction.
    /// <paramref name="activateAlways"/>: the new version serves without the promotion gate (ModelVersions).
    /// </summary>
    public async Task<Transition> StartAsync(AppDbContext db, long modelId, CancellationToken ct, bool activateAlways = false)
    {
        var now = time.UtcNowToSecond();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var rows = await db.CustomModels
            .Where(m => m.Id == modelId && Startable.Contains(m.TrainingStatus)
                && db.DataSets.Any(d => d.ModelId == m.Id && d.Kind == DataSetKind.Train))
            .ExecuteUpdateAsync(s => s
                .SetProperty(m => m.TrainingStatus, TrainingStatus.Running)
                .SetProperty(m => m.TrainingProgress, 0)
                .SetProperty(m => m.StartedTrainingAt, now)
                .SetProperty(m => m.UpdatedAt, now)
                .SetProperty(m => m.TrainingError, (string?)null)
                .SetProperty(m => m.FailedAt, (DateTime?)null), ct);
        if (rows == 0) return new Transition(false, await StatusAsync(db, modelId, ct));
        db.TrainingJobs.Add(new TrainingJob { ModelId = modelId, CreatedAt = now, ActivateAlways = activateAlways });
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return new Transition(true, TrainingStatus.Running);
    }

    /// <summary>
    /// Data of <paramref name="kind"/> was added (inside the caller's transaction, with the data
    /// set's row): the first training data moves 1 → 2; any other status stays (the data waits for
    /// the next run). Refused while training.
    /// </summary>
    public async Task<Transition> DataAddedAsync(AppDbContext db, long modelId, DataSetKind kind, CancellationToken ct)
    {
        var now = time.UtcNowToSecond();
        var rows = await db.CustomModels.Where(m => m.Id == modelId && Idle.Contains(m.TrainingStatus))
            .ExecuteUpdateAsync(s => s
                .SetProperty(m => m.TrainingStatus, m => kind == DataSetKind.Train && m.TrainingStatus == TrainingStatus.NotRunning
                    ? TrainingStatus.ReadyToRun : m.TrainingStatus)
                .SetProperty(m => m.UpdatedAt, now), ct);
        return new Transition(rows == 1, await StatusAsync(db, modelId, ct));
    }

    /// <summary>
    /// Data was removed (inside the caller's transaction, after the data set's row went): a model
    /// left without training data has nothing to train and goes back to 1; a trained model keeps
    /// serving. Refused while training.
    /// </summary>
    public async Task<Transition> DataRemovedAsync(AppDbContext db, long modelId, CancellationToken ct)
    {
        var now = time.UtcNowToSecond();
        var anyTraining = await db.DataSets.AnyAsync(d => d.ModelId == modelId && d.Kind == DataSetKind.Train, ct);
        var rows = await db.CustomModels.Where(m => m.Id == modelId && Idle.Contains(m.TrainingStatus))
            .ExecuteUpdateAsync(s => s
                .SetProperty(m => m.TrainingStatus, m => !anyTraining
                    && (m.TrainingStatus == TrainingStatus.ReadyToRun || m.TrainingStatus == TrainingStatus.Failed)
                    ? TrainingStatus.NotRunning : m.TrainingStatus)
                .SetProperty(m => m.UpdatedAt, now), ct);
        return new Transition(rows == 1, await StatusAsync(db, modelId, ct));
    }

    /// <summary>Records a training's progress; false when the model no longer trains (deleted or cancelled).</summary>
    public async Task<bool> ProgressAsync(AppDbContext db, long modelId, int percent, CancellationToken ct) =>
        await db.CustomModels.Where(m => m.Id == modelId && Training.Contains(m.TrainingStatus))
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.TrainingProgress, percent), ct) == 1;

    /// <summary>
    /// A training succeeded: 3 → 4. With <paramref name="served"/>, that version serves from now on
    /// (its artifact and metrics); without, the model keeps serving its active version and
    /// <paramref name="note"/> says why the new one does not (ModelVersions decides which). False when
    /// the model no longer trains (deleted or cancelled meanwhile).
    /// </summary>
    public async Task<bool> SucceedAsync(AppDbContext db, long modelId, ModelVersion? served, string? note, CancellationToken ct)
    {
        var now = time.UtcNowToSecond();
        return await db.CustomModels.Where(m => m.Id == modelId && Training.Contains(m.TrainingStatus))
            .ExecuteUpdateAsync(s =>
            {
                s.SetProperty(m => m.TrainingStatus, TrainingStatus.Success)
                    .SetProperty(m => m.TrainingProgress, 100)
                    .SetProperty(m => m.FinishedTrainingAt, now)
                    .SetProperty(m => m.UpdatedAt, now)
                    .SetProperty(m => m.TrainingError, (string?)null)
                    .SetProperty(m => m.FailedAt, (DateTime?)null);
                if (served is not null) ModelVersions.Serve(s, served); // which clears the note
                else s.SetProperty(m => m.StatusNote, note);
            }, ct) == 1;
    }

    /// <summary>A training failed: 3 → 5 with the reason, in words a user can act on.</summary>
    public async Task<bool> FailAsync(AppDbContext db, long modelId, string reason, CancellationToken ct)
    {
        var now = time.UtcNowToSecond();
        return await db.CustomModels.Where(m => m.Id == modelId && Training.Contains(m.TrainingStatus))
            .ExecuteUpdateAsync(s => s
                .SetProperty(m => m.TrainingStatus, TrainingStatus.Failed)
                .SetProperty(m => m.TrainingProgress, (int?)null)
                .SetProperty(m => m.TrainingError, reason)
                .SetProperty(m => m.FailedAt, now)
                .SetProperty(m => m.UpdatedAt, now), ct) == 1;
    }

    /// <summary>
    /// Cancels a training: the model goes back to where it was before the run (4 while a trained
    /// artifact serves, else 2) and its unfinished jobs end, in one transaction. The worker running
    /// it finds within a second that the job is no longer its own (JobRunner's lease keeper) and stops.
    /// </summary>
    public async Task<Transition> CancelAsync(AppDbContext db, long modelId, CancellationToken ct)
    {
        var now = time.UtcNowToSecond();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var rows = await db.CustomModels.Where(m => m.Id == modelId && Training.Contains(m.TrainingStatus))
            .ExecuteUpdateAsync(s => s
                .SetProperty(m => m.TrainingStatus, m => m.ArtifactName != null ? TrainingStatus.Success : TrainingStatus.ReadyToRun)
                .SetProperty(m => m.TrainingProgress, m => m.ArtifactName != null ? 100 : (int?)null)
                .SetProperty(m => m.UpdatedAt, now), ct);
        if (rows == 0) return new Transition(false, await StatusAsync(db, modelId, ct));
        await db.TrainingJobs.Where(j => j.ModelId == modelId && (j.State == JobState.Queued || j.State == JobState.Running))
            .ExecuteUpdateAsync(s => s
                .SetProperty(j => j.State, JobState.Failed)
                .SetProperty(j => j.LeaseOwner, (string?)null)
                .SetProperty(j => j.LeaseExpiresAt, (DateTime?)null)
                .SetProperty(j => j.FinishedAt, now)
                .SetProperty(j => j.LastError, CancelledReason), ct);
        var status = await StatusAsync(db, modelId, ct);
        await transaction.CommitAsync(ct);
        return new Transition(true, status);
    }

    static async Task<TrainingStatus?> StatusAsync(AppDbContext db, long modelId, CancellationToken ct) =>
        await db.CustomModels.Where(m => m.Id == modelId).Select(m => (TrainingStatus?)m.TrainingStatus).FirstOrDefaultAsync(ct);
}
