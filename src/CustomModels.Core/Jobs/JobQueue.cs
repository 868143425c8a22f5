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
        string Claim(string locking, string now, string until) => $"""
            WITH claimable AS (
                SELECT q."Id", {queuedOrg} AS org FROM {queued}
                WHERE q."State" = 1 OR (q."State" = 2 AND q."LeaseExpiresAt" < {now})),
            running AS (
                SELECT {runningOrg} AS org, COUNT(*) AS n FROM {running}
                WHERE r."State" = 2 AND r."LeaseExpiresAt" >= {now} GROUP BY {runningOrg}),
            candidates AS (
                SELECT c.org, MIN(c."Id") AS oldest, COALESCE(MAX(n.n), 0) AS running,
                    (SELECT MAX(f."FinishedAt") FROM {finished} WHERE {finishedOrg} = c.org) AS served
                FROM claimable c LEFT JOIN running n ON n.org = c.org GROUP BY c.org)
            UPDATE {table} SET "State" = 2, "LeaseOwner" = @owner, "LeaseExpiresAt" = {until}, "Attempts" = "Attempts" + 1
            WHERE "Id" = (SELECT j."Id" FROM {table} j
                          WHERE j."Id" = (SELECT oldest FROM candidates WHERE running < @cap
                                          ORDER BY running, served NULLS FIRST, oldest LIMIT 1)
                            AND (j."State" = 1 OR (j."State" = 2 AND j."LeaseExpiresAt" < {now})){locking})
            RETURNING "Id", {targetColumn}, "Attempts", "LastError";
            """;
        claimPostgres = Claim(" FOR UPDATE SKIP LOCKED", PostgresNow, PostgresLeaseUntil);
        claimSqlite = Claim("", SqliteNow, SqliteLeaseUntil);
    }

    /// <summary>Claims the next job by the fair order above; <paramref name="maxRunningPerOrganization"/> 0 is no cap.</summary>
    public async Task<ClaimedJob?> ClaimAsync(AppDbContext db, string owner, TimeSpan lease, CancellationToken ct,
        int maxRunningPerOrganization = 0)
    {
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
                             [("owner", owner), ("lease", Milliseconds(lease)), ("cap", cap)]))
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

    /// <summary>Extends the lease from the database's now; false when the job is no longer this worker's (ended, deleted, or taken over).</summary>
    public async Task<bool> RenewAsync(AppDbContext db, long jobId, string owner, TimeSpan lease, CancellationToken ct) =>
        await UpdateAsync(db, $"""UPDATE {table} SET "LeaseExpiresAt" = {LeaseUntil(db)} WHERE "Id" = @id AND "LeaseOwner" = @owner AND "State" = 2""",
            ct, ("lease", Milliseconds(lease)), ("id", jobId), ("owner", owner)) == 1;

    /// <summary>Puts a job this worker holds back in the queue (graceful stop, or an error worth another attempt).</summary>
    public Task ReleaseAsync(AppDbContext db, long jobId, string owner, string? error, bool countAttempt, CancellationToken ct) =>
        UpdateAsync(db, $"""
            UPDATE {table} SET "State" = 1, "LeaseOwner" = NULL, "LeaseExpiresAt" = NULL,
                "LastError" = COALESCE(@error, "LastError"), "Attempts" = "Attempts" - @uncount
            WHERE "Id" = @id AND "LeaseOwner" = @owner AND "State" = 2
            """, ct, ("error", (object?)error ?? DBNull.Value), ("uncount", countAttempt ? 0 : 1), ("id", jobId), ("owner", owner));

    /// <summary>
    /// Ends a job, only while <paramref name="owner"/> still holds it: a worker that lost its lease
    /// (another took the job over, or it was cancelled) changes nothing. True when it ended the job.
    /// Inside the caller's transaction when there is one, so that the job ends with the result it saves.
    /// </summary>
    public async Task<bool> FinishAsync(AppDbContext db, long jobId, string owner, JobState state, string? error, CancellationToken ct) =>
        await UpdateAsync(db, $"""
            UPDATE {table} SET "State" = @state, "LeaseOwner" = NULL, "LeaseExpiresAt" = NULL, "FinishedAt" = {Now(db)}, "LastError" = @error
            WHERE "Id" = @id AND "LeaseOwner" = @owner AND "State" = 2
            """, ct, ("state", (int)state), ("error", (object?)error ?? DBNull.Value), ("id", jobId), ("owner", owner)) == 1;

    /// <summary>Whether <paramref name="owner"/> still holds the job: not ended (a cancelled training), deleted or taken over.</summary>
    public async Task<bool> IsHeldAsync(AppDbContext db, long jobId, string owner, CancellationToken ct)
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

    // Leases are reckoned by the database's clock, the one clock every process shares: a machine
    // whose clock runs ahead cannot take over a job whose lease is still running. Stored forms:
    // PostgreSQL a timestamp, SQLite Unix milliseconds.
    const string PostgresNow = "clock_timestamp()";
    const string SqliteNow = "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";

    static string Now(AppDbContext db) => db.IsPostgres ? PostgresNow : SqliteNow;

    static string LeaseUntil(AppDbContext db) => db.IsPostgres ? PostgresLeaseUntil : SqliteLeaseUntil;
    const string PostgresLeaseUntil = $"{PostgresNow} + @lease * INTERVAL '1 millisecond'";
    const string SqliteLeaseUntil = $"{SqliteNow} + @lease";

    static long Milliseconds(TimeSpan span) => (long)span.TotalMilliseconds;

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
