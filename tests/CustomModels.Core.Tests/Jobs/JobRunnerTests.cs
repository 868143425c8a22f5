using System.Collections.Concurrent;
using CustomModels.Core.Data;
using CustomModels.Core.Jobs;
using CustomModels.Core.Tests.Infrastructure;
using CustomModels.Core.Training;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace CustomModels.Core.Tests.Jobs;

/// <summary>
/// The job runner under failure, on a real database of each kind: a lost lease is taken over and
/// the worker that lost it stops and can no longer end the job; a renewal that fails for a moment
/// keeps the job; no renewal for a whole lease stops it. The runner's clock is a fake one that the
/// test moves; the leases themselves are the database's.
/// </summary>
public sealed class JobRunnerTests
{
    static readonly JobRunnerOptions Options = new()
    {
        Lease = TimeSpan.FromSeconds(30), CheckInterval = TimeSpan.FromSeconds(1), PollInterval = TimeSpan.FromSeconds(1),
    };
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.Postgres)]
    public async Task A_lost_lease_is_taken_over_and_the_stale_worker_stops_and_cannot_end_the_job(DatabaseKind kind)
    {
        await using var h = await Harness.StartAsync(kind);
        var jobId = await h.QueueJobAsync();
        var first = new HeldJob(h.Database);
        var firstLoop = h.Serve(first);
        var stale = await first.Started.Task.WaitAsync(Patience);

        // The first worker stops renewing (a stalled process): its lease runs out in the database.
        await using (var db = h.Database.Open())
            await db.TrainingJobs.Where(j => j.Id == jobId).ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseExpiresAt, DateTime.UtcNow.AddMinutes(-1)));
        var second = new HeldJob(h.Database);
        var secondLoop = h.Serve(second);
        var current = await second.Started.Task.WaitAsync(Patience);
        Assert.Equal((jobId, 2), (current.JobId, current.Number));
        Assert.NotEqual(stale.Owner, current.Owner);
        Assert.NotEqual(stale.Name, current.Name);

        // The stale worker can neither succeed nor fail the job that is now the other's.
        await using (var db = h.Database.Open())
        {
            Assert.False(await stale.FinishAsync(db, JobState.Succeeded, null, default));
            Assert.False(await stale.FinishAsync(db, JobState.Failed, "stale", default));
            var row = await db.TrainingJobs.AsNoTracking().SingleAsync(j => j.Id == jobId);
            Assert.Equal((JobState.Running, current.Owner), (row.State, row.LeaseOwner));
        }

        // At its next check the stale worker finds the job no longer its own and stops; the other goes on.
        h.Time.Advance(Options.CheckInterval);
        await first.Cancelled.Task.WaitAsync(Patience);
        Assert.False(second.Cancelled.Task.IsCompleted);
        second.Finish.SetResult();
        Assert.True(await second.Finished.Task.WaitAsync(Patience));
        await using (var db = h.Database.Open())
            Assert.Equal(JobState.Succeeded, (await db.TrainingJobs.AsNoTracking().SingleAsync(j => j.Id == jobId)).State);
        await h.StopAsync(firstLoop, secondLoop);
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.Postgres)]
    public async Task A_renewal_that_fails_for_a_moment_keeps_the_job(DatabaseKind kind)
    {
        await using var h = await Harness.StartAsync(kind);
        var jobId = await h.QueueJobAsync();
        var job = new HeldJob(h.Database);
        var loop = h.Serve(job);
        await job.Started.Task.WaitAsync(Patience);
        var claimedUntil = await h.LeaseAsync(jobId);

        await h.FailRenewalsAsync(true);
        h.Time.Advance(Options.Lease / 3 + Options.CheckInterval);
        await h.Log.WaitForAsync("Could not renew or check the lease", Patience);
        Assert.Equal(claimedUntil, await h.LeaseAsync(jobId));
        Assert.False(job.Cancelled.Task.IsCompleted);

        // The database answers again: the next tick renews, and the job was never stopped.
        await h.FailRenewalsAsync(false);
        h.Time.Advance(Options.CheckInterval);
        await Eventually(async () => await h.LeaseAsync(jobId) > claimedUntil);
        Assert.False(job.Cancelled.Task.IsCompleted);
        job.Finish.SetResult();
        Assert.True(await job.Finished.Task.WaitAsync(Patience));
        await h.StopAsync(loop);
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.Postgres)]
    public async Task No_renewal_for_a_whole_lease_stops_the_job_even_while_the_database_cannot_say_so(DatabaseKind kind)
    {
        await using var h = await Harness.StartAsync(kind);
        await h.QueueJobAsync();
        var job = new HeldJob(h.Database);
        var loop = h.Serve(job);
        await job.Started.Task.WaitAsync(Patience);

        await h.FailRenewalsAsync(true);
        h.Time.Advance(Options.Lease / 3 + Options.CheckInterval);
        await h.Log.WaitForAsync("Could not renew or check the lease", Patience);
        Assert.False(job.Cancelled.Task.IsCompleted);
        h.Time.Advance(Options.Lease);
        await job.Cancelled.Task.WaitAsync(Patience);
        await h.FailRenewalsAsync(false);
        await h.StopAsync(loop);
    }

    static async Task Eventually(Func<Task<bool>> condition)
    {
        var until = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, "the condition did not hold in time");
            await Task.Delay(50);
        }
    }

    /// <summary>A job that holds until the test lets it finish, and says whether it was stopped.</summary>
    sealed class HeldJob(TestDatabase database) : IJobKind
    {
        public JobQueue Queue => JobQueue.Training;
        public string Name => "test";
        public TaskCompletionSource<JobAttempt> Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Finish { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource<bool> Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task RunAsync(JobAttempt attempt, CancellationToken ct)
        {
            Started.TrySetResult(attempt);
            try
            {
                await Finish.Task.WaitAsync(ct);
            }
            catch (OperationCanceledException)
            {
                Cancelled.TrySetResult();
                throw;
            }
            await using var db = database.Open();
            Finished.TrySetResult(await attempt.FinishAsync(db, JobState.Succeeded, null, ct));
        }

        public string? PermanentFailure(Exception e) => null;

        public async Task FailAsync(AppDbContext db, JobAttempt attempt, string reason) =>
            await attempt.FinishAsync(db, JobState.Failed, reason, default);
    }

    sealed class Harness : IAsyncDisposable
    {
        readonly ServiceProvider services;
        readonly CancellationTokenSource stopping = new();
        readonly JobRunner runner;

        Harness(TestDatabase database)
        {
            Database = database;
            services = new ServiceCollection().AddAppDatabase(database.Storage).BuildServiceProvider();
            runner = new JobRunner(services.GetRequiredService<IServiceScopeFactory>(), Time, Log);
        }

        public TestDatabase Database { get; }
        public FakeTimeProvider Time { get; } = new();
        public RecordingLogger Log { get; } = new();

        public static async Task<Harness> StartAsync(DatabaseKind kind) => new(await TestDatabase.CreateAsync(kind));

        public async Task<long> QueueJobAsync()
        {
            var model = await Database.CreateModelAsync();
            await using var db = Database.Open();
            var job = new TrainingJob { ModelId = model.Id, CreatedAt = DateTime.UtcNow };
            db.TrainingJobs.Add(job);
            await db.SaveChangesAsync();
            return job.Id;
        }

        public Task Serve(IJobKind kind) => runner.ServeAsync(kind, Options, stopping.Token);

        public async Task<DateTime?> LeaseAsync(long jobId)
        {
            await using var db = Database.Open();
            return await db.TrainingJobs.AsNoTracking().Where(j => j.Id == jobId).Select(j => j.LeaseExpiresAt).SingleAsync();
        }

        /// <summary>
        /// Makes the database refuse every change of a training job's lease (a trigger that raises),
        /// as a database briefly unable to write would; reads still answer.
        /// </summary>
        public async Task FailRenewalsAsync(bool fail)
        {
            await using var db = Database.Open();
            string[] statements = (db.IsPostgres, fail) switch
            {
                (true, true) =>
                [
                    "CREATE FUNCTION refuse_lease() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'lease changes refused by the test'; END $$",
                    "CREATE TRIGGER refuse_lease BEFORE UPDATE OF \"LeaseExpiresAt\" ON training_jobs FOR EACH ROW EXECUTE FUNCTION refuse_lease()",
                ],
                (true, false) => ["DROP TRIGGER refuse_lease ON training_jobs", "DROP FUNCTION refuse_lease()"],
                (false, true) =>
                [
                    "CREATE TRIGGER refuse_lease BEFORE UPDATE OF \"LeaseExpiresAt\" ON training_jobs BEGIN SELECT RAISE(ABORT, 'lease changes refused by the test'); END",
                ],
                (false, false) => ["DROP TRIGGER refuse_lease"],
            };
            foreach (var sql in statements) await db.Database.ExecuteSqlRawAsync(sql);
        }

        public async Task StopAsync(params Task[] loops)
        {
            await stopping.CancelAsync();
            await Task.WhenAll(loops).WaitAsync(Patience);
        }

        public async ValueTask DisposeAsync()
        {
            await stopping.CancelAsync();
            await services.DisposeAsync();
            await Database.DisposeAsync();
        }
    }

    /// <summary>The runner's log lines, to wait for one (a failed renewal leaves no other trace).</summary>
    sealed class RecordingLogger : ILogger<JobRunner>
    {
        readonly ConcurrentQueue<string> lines = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue(formatter(state, exception));

        public async Task WaitForAsync(string text, TimeSpan patience)
        {
            var until = DateTime.UtcNow + patience;
            while (!lines.Any(l => l.Contains(text, StringComparison.Ordinal)))
            {
                Assert.True(DateTime.UtcNow < until, $"no log line with '{text}' in time: {string.Join(" | ", lines)}");
                await Task.Delay(50);
            }
        }
    }
}
