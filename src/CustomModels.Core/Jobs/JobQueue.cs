using System.Data.Common;
using CustomModels.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CustomModels.Core.Jobs;

public enum JobState
{
    Queued = 1,
    Running = 2,
    Succeeded = 3,
    Failed = 4,
}

/// <summary>A job a worker holds: its row id, the row it works on (a training's model, a transcription itself), its attempts.</summary>
public sealed record ClaimedJob(long Id, long TargetId, int Attempts, string? LastError);

/// <summary>
/// Job rows as a queue; the training jobs and the transcriptions are each one. A table that is a
/// queue has the columns "Id", "State", "LeaseOwner", "LeaseExpiresAt", "Attempts", "LastError"
/// and "FinishedAt", and each row belongs to an organization. A worker claims, in one atomic
/// UPDATE … RETURNING, a row that is queued or whose lease has expired, chosen fairly among
/// organizations: the organization with the fewest jobs running, then the one served longest ago
/// (its last job finished earliest, or never), and its oldest job; an organization already running
/// its cap (<c>maxRunningPerOrganization</c>) waits while the others are served. So one
/// organization's many queued jobs delay another's single job by at most the job that is running.
/// On PostgreSQL the claims of all processes take turns on a transaction-scoped advisory lock (the
/// counts they choose by are then exact) and the row is locked FOR UPDATE SKIP LOCKED; on SQLite the
/// database's single writer makes the statement atomic. A worker renews its lease while it works;
/// one that dies stops renewing, and once the lease has expired another worker takes the job over.
/// </summary>
public sealed class JobQueue
{
    public static readonly JobQueue Training = new("training_jobs", "\"ModelId\"",
        alias => ($"training_jobs {alias} JOIN custom_models {alias}m ON {alias}m.\"Id\" = {alias}.\"ModelId\"", $"{alias}m.\"OrganizationId\""));
    public static readonly JobQueue Transcription = new("transcriptions", "\"Id\"",
        alias => ($"transcriptions {alias}", $"{alias}.\"OrganizationId\""));

    readonly string table;
    readonly string claimPostgres;
    readonly string claimSqlite;

    /// <param name="rowsWithOrganization">The FROM clause that gives the table's rows under an alias, and the expression of their organization.</param>
    JobQueue(string table, string targetColumn, Func<string, (string From, string Organization)> rowsWithOrganization)
    {
        this.table = table;
        var (queued, queuedOrg) = rowsWithOrganization("q");
        var (running, runningOrg) = rowsWithOrganization("r");
        var (finished, finishedOrg) = rowsWithOrganization("f");
        string Claim(string locking) => $"""
            WITH claimable AS (
                SELECT q."Id", {queuedOrg} AS org FROM {queued}
                WHERE q."State" = 1 OR (q."State" = 2 AND q."LeaseExpiresAt" < @now)),
            running AS (
                SELECT {runningOrg} AS org, COUNT(*) AS n FROM {running}
                WHERE r."State" = 2 AND r."LeaseExpiresAt" >= @now GROUP BY {runningOrg}),
            candidates AS (
                SELECT c.org, MIN(c."Id") AS oldest, COALESCE(MAX(n.n), 0) AS running,
                    (SELECT MAX(f."FinishedAt") FROM {finished} WHERE {finishedOrg} = c.org) AS served
                FROM claimable c LEFT JOIN running n ON n.org = c.org GROUP BY c.org)
            UPDATE {table} SET "State" = 2, "LeaseOwner" = @owner, "LeaseExpiresAt" = @until, "Attempts" = "Attempts" + 1
            WHERE "Id" = (SELECT j."Id" FROM {table} j
                          WHERE j."Id" = (SELECT oldest FROM candidates WHERE running < @cap
                                          ORDER BY running, served NULLS FIRST, oldest LIMIT 1)
                            AND (j."State" = 1 OR (j."State" = 2 AND j."LeaseExpiresAt" < @now)){locking})
            RETURNING "Id", {targetColumn}, "Attempts", "LastError";
            """;
        claimPostgres = Claim(" FOR UPDATE SKIP LOCKED");
        claimSqlite = Claim("");
    }

    /// <summary>Claims the next job by the fair order above; <paramref name="maxRunningPerOrganization"/> 0 is no cap.</summary>
    public async Task<ClaimedJob?> ClaimAsync(AppDbContext db, string owner, TimeSpan lease, CancellationToken ct,
        int maxRunningPerOrganization = 0)
    {
        var now = DateTime.UtcNow;
        var cap = maxRunningPerOrganization > 0 ? maxRunningPerOrganization : int.MaxValue;
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var transaction = db.IsPostgres ? await db.Database.BeginTransactionAsync(ct) : null;
            if (db.IsPostgres)
            {
                await using var turn = Command(db, "SELECT pg_advisory_xact_lock(hashtext(@queue))", [("queue", "custom-models claim " + table)]);
                await turn.ExecuteNonQueryAsync(ct);
            }
            ClaimedJob? job = null;
            await using (var command = Command(db, db.IsPostgres ? claimPostgres : claimSqlite,
                             [("owner", owner), ("until", DbTime(db, now + lease)), ("now", DbTime(db, now)), ("cap", cap)]))
            await using (var reader = await command.ExecuteReaderAsync(ct))
                if (await reader.ReadAsync(ct))
                    job = new ClaimedJob(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt32(2), reader.IsDBNull(3) ? null : reader.GetString(3));
            if (transaction is not null) await transaction.CommitAsync(ct);
            return job;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>Extends the lease; false when the job is no longer this worker's (deleted, or taken over).</summary>
    public async Task<bool> RenewAsync(AppDbContext db, long jobId, string owner, TimeSpan lease, CancellationToken ct) =>
        await UpdateAsync(db, $"""UPDATE {table} SET "LeaseExpiresAt" = @until WHERE "Id" = @id AND "LeaseOwner" = @owner AND "State" = 2""",
            ct, ("until", DbTime(db, DateTime.UtcNow + lease)), ("id", jobId), ("owner", owner)) == 1;

    /// <summary>Puts a job this worker holds back in the queue (graceful stop, or an error worth another attempt).</summary>
    public Task ReleaseAsync(AppDbContext db, long jobId, string owner, string? error, bool countAttempt, CancellationToken ct) =>
        UpdateAsync(db, $"""
            UPDATE {table} SET "State" = 1, "LeaseOwner" = NULL, "LeaseExpiresAt" = NULL,
                "LastError" = COALESCE(@error, "LastError"), "Attempts" = "Attempts" - @uncount
            WHERE "Id" = @id AND "LeaseOwner" = @owner
            """, ct, ("error", (object?)error ?? DBNull.Value), ("uncount", countAttempt ? 0 : 1), ("id", jobId), ("owner", owner));

    /// <summary>Ends a job; with <paramref name="owner"/>, only while this worker still holds it. Returns the rows changed.</summary>
    public Task<int> FinishAsync(AppDbContext db, long jobId, JobState state, string? error, CancellationToken ct, string? owner = null) =>
        UpdateAsync(db, $"""
            UPDATE {table} SET "State" = @state, "LeaseOwner" = NULL, "LeaseExpiresAt" = NULL, "FinishedAt" = @now, "LastError" = @error
            WHERE "Id" = @id{(owner is null ? "" : " AND \"LeaseOwner\" = @owner")}
            """, ct, [("state", (int)state), ("now", DbTime(db, Clock.UtcNow())), ("error", (object?)error ?? DBNull.Value),
            ("id", jobId), .. owner is null ? [] : new[] { ("owner", (object)owner) }]);

    /// <summary>
    /// A worker's loop: claims a job, runs it, and when the queue is empty waits one poll interval.
    /// A job's failure is the job's (<paramref name="run"/> handles it); anything that escapes is
    /// logged and the loop goes on, until <paramref name="stoppingToken"/> ends it.
    /// </summary>
    public async Task ServeAsync(IServiceScopeFactory scopes, string owner, TimeSpan lease, TimeSpan pollInterval, int maxRunningPerOrganization,
        Func<ClaimedJob, CancellationToken, Task> run, ILogger log, CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                ClaimedJob? job;
                using (var scope = scopes.CreateScope())
                    job = await ClaimAsync(scope.ServiceProvider.GetRequiredService<AppDbContext>(), owner, lease, stoppingToken, maxRunningPerOrganization);
                if (job is null)
                    await Task.Delay(pollInterval, stoppingToken);
                else
                    await run(job, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                log.LogError(e, "Worker loop of {Table} failed; retrying", table);
                await Task.Delay(pollInterval, stoppingToken).ContinueWith(_ => { });
            }
        }
    }

    /// <summary>
    /// Renews the lease every third of its length until disposed; a renewal that finds the job no
    /// longer this worker's (deleted, or taken over) cancels <paramref name="jobCancel"/>.
    /// </summary>
    public IDisposable RenewUntilDone(IServiceScopeFactory scopes, long jobId, string owner, TimeSpan lease,
        CancellationTokenSource jobCancel, ILogger log)
    {
        var timer = new PeriodicTimer(lease / 3);
        _ = Task.Run(async () =>
        {
            try
            {
                while (await timer.WaitForNextTickAsync(jobCancel.Token))
                {
                    using var scope = scopes.CreateScope();
                    var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
                    if (!await RenewAsync(db, jobId, owner, lease, jobCancel.Token))
                    {
                        await jobCancel.CancelAsync();
                        return;
                    }
                }
            }
            catch (OperationCanceledException) { }
            catch (Exception e) { log.LogWarning(e, "Could not renew the lease of job {JobId} in {Table}", jobId, table); }
        });
        return timer;
    }

    /// <summary>
    /// Looks every <paramref name="interval"/> whether the job is still this worker's — not ended
    /// (a cancelled training), deleted (with its model) or taken over — and cancels
    /// <paramref name="jobCancel"/> when it is not, so that the work stops within about that time.
    /// Reads only; the lease is renewed by <see cref="RenewUntilDone"/>.
    /// </summary>
    public IDisposable CancelWhenLost(IServiceScopeFactory scopes, long jobId, string owner, TimeSpan interval,
        CancellationTokenSource jobCancel, ILogger log)
    {
        var timer = new PeriodicTimer(interval);
        _ = Task.Run(async () =>
        {
            try
            {
                while (await timer.WaitForNextTickAsync(jobCancel.Token))
                {
                    try
                    {
                        using var scope = scopes.CreateScope();
                        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
                        if (!await IsHeldAsync(db, jobId, owner, jobCancel.Token))
                        {
                            await jobCancel.CancelAsync();
                            return;
                        }
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        // A database that is briefly unreachable is not a cancellation; the lease decides.
                        log.LogWarning(e, "Could not check job {JobId} in {Table}", jobId, table);
                    }
                }
            }
            catch (OperationCanceledException) { }
        });
        return timer;
    }

    async Task<bool> IsHeldAsync(AppDbContext db, long jobId, string owner, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var command = Command(db, $"""SELECT COUNT(*) FROM {table} WHERE "Id" = @id AND "LeaseOwner" = @owner AND "State" = 2""",
                [("id", jobId), ("owner", owner)]);
            return Convert.ToInt64(await command.ExecuteScalarAsync(ct)) == 1;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    // Raw SQL sees the stored form: PostgreSQL a timestamp, SQLite Unix milliseconds.
    static object DbTime(AppDbContext db, DateTime utc) =>
        db.IsPostgres ? utc : SqliteTime.ToStored(utc);

    static async Task<int> UpdateAsync(AppDbContext db, string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var command = Command(db, sql, parameters);
            return await command.ExecuteNonQueryAsync(ct);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    static DbCommand Command(AppDbContext db, string sql, (string Name, object Value)[] parameters)
    {
        var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = sql;
        // Inside a caller's transaction the command must join it (SQLite refuses it otherwise).
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@" + name;
            parameter.Value = value;
            // Every nullable parameter here is text; PostgreSQL needs a type for a NULL.
            if (value is DBNull or string) parameter.DbType = System.Data.DbType.String;
            command.Parameters.Add(parameter);
        }
        return command;
    }
}
