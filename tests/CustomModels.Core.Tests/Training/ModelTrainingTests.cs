using CustomModels.Core.Data;
using CustomModels.Core.Jobs;
using CustomModels.Core.Models;
using CustomModels.Core.Tests.Infrastructure;
using CustomModels.Core.Training;
using CustomModels.Core.Versions;
using Microsoft.EntityFrameworkCore;

namespace CustomModels.Core.Tests.Training;

/// <summary>
/// Every transition of <see cref="ModelTraining"/> from every status: done from the statuses it
/// may start from, refused (and nothing changed) from the others.
/// </summary>
public abstract class ModelTrainingTests(TestDatabase database)
{
    readonly ModelTraining training = new(TimeProvider.System);
    static readonly EvaluationMetrics Metrics = new(12.5, 20, 6, 9, 37.5, 1.5, 0.2, 300);

    public static TheoryData<TrainingStatus> Statuses() => new(Enum.GetValues<TrainingStatus>());
    public static TheoryData<TrainingStatus> IdleStatuses() => new(Enum.GetValues<TrainingStatus>().Where(s => s != TrainingStatus.Running));

    async Task<long> ModelAsync(TrainingStatus status, bool trainingData = true, string? artifact = null)
    {
        var model = await database.CreateModelAsync();
        await using var db = database.Open();
        if (trainingData) await AddDataAsync(db, model.Id, DataSetKind.Train);
        await db.CustomModels.Where(m => m.Id == model.Id).ExecuteUpdateAsync(s => s
            .SetProperty(m => m.TrainingStatus, status).SetProperty(m => m.ArtifactName, artifact));
        return model.Id;
    }

    static async Task AddDataAsync(AppDbContext db, long modelId, DataSetKind kind)
    {
        db.DataSets.Add(new TrainingDataSet
        {
            ModelId = modelId, Kind = kind, TranscriptFileName = "t.txt", TranscriptBlob = Guid.NewGuid().ToString("N"), WordCount = 3,
            CreatedAt = DateTime.UtcNow,
        });
        await db.SaveChangesAsync();
    }

    async Task<CustomModel> ReadAsync(long id)
    {
        await using var db = database.Open();
        return await db.CustomModels.AsNoTracking().FirstAsync(m => m.Id == id);
    }

    async Task<List<TrainingJob>> JobsAsync(long id)
    {
        await using var db = database.Open();
        return await db.TrainingJobs.AsNoTracking().Where(j => j.ModelId == id).ToListAsync();
    }

    [Theory, MemberData(nameof(Statuses))]
    public async Task Start_runs_from_2_4_and_5_with_training_data_and_queues_one_job(TrainingStatus from)
    {
        var id = await ModelAsync(from);
        await using var db = database.Open();
        var started = await training.StartAsync(db, id, default);

        var allowed = from is TrainingStatus.ReadyToRun or TrainingStatus.Success or TrainingStatus.Failed;
        Assert.Equal(allowed, started.Done);
        var model = await ReadAsync(id);
        Assert.Equal(allowed ? TrainingStatus.Running : from, model.TrainingStatus);
        Assert.Equal(allowed ? TrainingStatus.Running : from, started.Status);
        var jobs = await JobsAsync(id);
        Assert.Equal(allowed ? 1 : 0, jobs.Count);
        if (allowed) Assert.Equal((JobState.Queued, 0), (jobs[0].State, model.TrainingProgress ?? -1));
    }

    [Fact]
    public async Task Start_is_refused_without_training_data_even_in_status_2()
    {
        var id = await ModelAsync(TrainingStatus.ReadyToRun, trainingData: false);
        await using var db = database.Open();
        await AddDataAsync(db, id, DataSetKind.Test);
        var started = await training.StartAsync(db, id, default);
        Assert.Equal(new Transition(false, TrainingStatus.ReadyToRun), started);
        Assert.Empty(await JobsAsync(id));
    }

    [Fact]
    public async Task Two_starts_at_once_start_one_training()
    {
        var id = await ModelAsync(TrainingStatus.ReadyToRun);
        async Task<Transition> StartAsync()
        {
            await using var db = database.Open();
            return await training.StartAsync(db, id, default);
        }
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(StartAsync)));
        Assert.Single(results, r => r.Done);
        Assert.Single(await JobsAsync(id));
    }

    [Theory, MemberData(nameof(Statuses))]
    public async Task Training_data_added_moves_1_to_2_keeps_the_others_and_is_refused_while_training(TrainingStatus from)
    {
        var id = await ModelAsync(from, trainingData: false);
        await using var db = database.Open();
        var added = await training.DataAddedAsync(db, id, DataSetKind.Train, default);

        Assert.Equal(from != TrainingStatus.Running, added.Done);
        var expected = from == TrainingStatus.NotRunning ? TrainingStatus.ReadyToRun : from;
        Assert.Equal(expected, added.Status);
        Assert.Equal(expected, (await ReadAsync(id)).TrainingStatus);
    }

    [Fact]
    public async Task Test_data_added_leaves_status_1()
    {
        var id = await ModelAsync(TrainingStatus.NotRunning, trainingData: false);
        await using var db = database.Open();
        Assert.Equal(new Transition(true, TrainingStatus.NotRunning), await training.DataAddedAsync(db, id, DataSetKind.Test, default));
    }

    [Theory, MemberData(nameof(Statuses))]
    public async Task The_last_training_data_removed_sends_2_and_5_back_to_1(TrainingStatus from)
    {
        var id = await ModelAsync(from, trainingData: false);
        await using var db = database.Open();
        var removed = await training.DataRemovedAsync(db, id, default);

        Assert.Equal(from != TrainingStatus.Running, removed.Done);
        var expected = from is TrainingStatus.ReadyToRun or TrainingStatus.Failed ? TrainingStatus.NotRunning : from;
        Assert.Equal(expected, (await ReadAsync(id)).TrainingStatus);
    }

    [Fact]
    public async Task Data_removed_while_training_data_remains_keeps_status_2()
    {
        var id = await ModelAsync(TrainingStatus.ReadyToRun);
        await using var db = database.Open();
        Assert.Equal(new Transition(true, TrainingStatus.ReadyToRun), await training.DataRemovedAsync(db, id, default));
    }

    [Theory, MemberData(nameof(Statuses))]
    public async Task Progress_succeed_and_fail_happen_only_while_training(TrainingStatus from)
    {
        var running = from == TrainingStatus.Running;
        await using var db = database.Open();

        var progressed = await ModelAsync(from);
        Assert.Equal(running, await training.ProgressAsync(db, progressed, 40, default));
        Assert.Equal(running ? 40 : null, (await ReadAsync(progressed)).TrainingProgress);

        var succeeded = await ModelAsync(from);
        var version = new ModelVersion
        {
            ModelId = succeeded, Version = 1, ArtifactName = "7", EvaluationSource = "test_data", DataIds = "[]",
            WordErrorRate = Metrics.WordErrorRate, AccuracyImprovement = Metrics.AccuracyImprovement,
        };
        Assert.Equal(running, await training.SucceedAsync(db, succeeded, version, null, default));
        var model = await ReadAsync(succeeded);
        Assert.Equal(running ? TrainingStatus.Success : from, model.TrainingStatus);
        Assert.Equal(running ? (100, "7", 12.5, 37.5, 1) : (null, null, null, null, null),
            (model.TrainingProgress, model.ArtifactName, model.WordErrorRate, model.AccuracyImprovement, model.ActiveVersion));

        // A version the promotion gate kept inactive: 3 → 4 with the note, serving nothing new.
        var gated = await ModelAsync(from);
        Assert.Equal(running, await training.SucceedAsync(db, gated, null, "kept inactive", default));
        model = await ReadAsync(gated);
        Assert.Equal(running ? (TrainingStatus.Success, "kept inactive") : (from, null), (model.TrainingStatus, model.StatusNote));
        Assert.Null(model.ArtifactName);

        var failed = await ModelAsync(from);
        Assert.Equal(running, await training.FailAsync(db, failed, "the reason", default));
        model = await ReadAsync(failed);
        Assert.Equal(running ? (TrainingStatus.Failed, "the reason") : (from, null), (model.TrainingStatus, model.TrainingError));
        Assert.Equal(running, model.FailedAt is not null);
    }

    [Theory]
    [InlineData(null, TrainingStatus.ReadyToRun)]
    [InlineData("3", TrainingStatus.Success)]
    public async Task Cancel_goes_back_to_where_the_model_was_and_ends_its_job(string? artifact, TrainingStatus back)
    {
        var id = await ModelAsync(artifact is null ? TrainingStatus.ReadyToRun : TrainingStatus.Success, artifact: artifact);
        await using var db = database.Open();
        Assert.True((await training.StartAsync(db, id, default)).Done);

        Assert.Equal(new Transition(true, back), await training.CancelAsync(db, id, default));
        var model = await ReadAsync(id);
        Assert.Equal((back, back == TrainingStatus.Success ? 100 : null), (model.TrainingStatus, model.TrainingProgress));
        var job = Assert.Single(await JobsAsync(id));
        Assert.Equal((JobState.Failed, ModelTraining.CancelledReason), (job.State, job.LastError));
        // A worker still holding the job learns it at its next progress report.
        Assert.False(await training.ProgressAsync(db, id, 60, default));
    }

    [Theory, MemberData(nameof(IdleStatuses))]
    public async Task Cancel_is_refused_unless_training(TrainingStatus from)
    {
        var id = await ModelAsync(from);
        await using var db = database.Open();
        Assert.Equal(new Transition(false, from), await training.CancelAsync(db, id, default));
    }

    [Fact]
    public async Task A_transition_of_a_missing_model_says_so()
    {
        await using var db = database.Open();
        Assert.False((await training.StartAsync(db, long.MaxValue, default)).ModelExists);
        Assert.False((await training.DataAddedAsync(db, long.MaxValue, DataSetKind.Train, default)).ModelExists);
        Assert.False((await training.CancelAsync(db, long.MaxValue, default)).ModelExists);
    }
}

public sealed class SqliteModelTrainingTests(SqliteDatabase fixture) : ModelTrainingTests(fixture.Database), IClassFixture<SqliteDatabase>;

public sealed class PostgresModelTrainingTests(PostgresDatabase fixture) : ModelTrainingTests(fixture.Database), IClassFixture<PostgresDatabase>;
