using System.Data.Common;
using CustomModels.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CustomModels.Core.Training;

public sealed record ClaimedJob(long Id, long ModelId, int Attempts, string? LastError);

/// <summary>
/// The training job rows as a queue. A worker claims the oldest job that is queued or whose
/// lease has expired, in one atomic UPDATE … RETURNING: on PostgreSQL with FOR UPDATE SKIP
/// LOCKED so that workers on many machines never wait on or take the same row; on SQLite the
/// database's single writer makes the same statement atomic.
/// </summary>
public static class TrainingQueue
{
    const string ClaimPostgres = """
        UPDATE training_jobs SET "State" = 2, "LeaseOwner" = @owner, "LeaseExpiresAt" = @until, "Attempts" = "Attempts" + 1
        WHERE "Id" = (SELECT "Id" FROM training_jobs
                      WHERE "State" = 1 OR ("State" = 2 AND "LeaseExpiresAt" < @now)
                      ORDER BY "Id" LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING "Id", "ModelId", "Attempts", "LastError";
        """;

    const string ClaimSqlite = """
        UPDATE training_jobs SET "State" = 2, "LeaseOwner" = @owner, "LeaseExpiresAt" = @until, "Attempts" = "Attempts" + 1
        WHERE "Id" = (SELECT "Id" FROM training_jobs
                      WHERE "State" = 1 OR ("State" = 2 AND "LeaseExpiresAt" < @now)
                      ORDER BY "Id" LIMIT 1)
        RETURNING "Id", "ModelId", "Attempts", "LastError";
        """;

    public static async Task<ClaimedJob?> ClaimAsync(AppDbContext db, string owner, TimeSpan lease, CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = db.IsPostgres ? ClaimPostgres : ClaimSqlite;
            Add(command, "owner", owner);
            Add(command, "until", DbTime(db, now + lease));
            Add(command, "now", DbTime(db, now));
            await using var reader = await command.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return null;
            return new ClaimedJob(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt32(2), reader.IsDBNull(3) ? null : reader.GetString(3));
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>Extends the lease; false when the job is no longer this worker's (deleted with its model, or taken over).</summary>
    public static async Task<bool> RenewAsync(AppDbContext db, long jobId, string owner, TimeSpan lease, CancellationToken ct)
    {
        var until = DateTime.UtcNow + lease;
        var rows = await db.TrainingJobs
            .Where(j => j.Id == jobId && j.LeaseOwner == owner && j.State == JobState.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseExpiresAt, until), ct);
        return rows == 1;
    }

    /// <summary>Puts a job this worker holds back in the queue (graceful stop, or an error worth another attempt).</summary>
    public static Task ReleaseAsync(AppDbContext db, long jobId, string owner, string? error, bool countAttempt, CancellationToken ct) =>
        db.TrainingJobs.Where(j => j.Id == jobId && j.LeaseOwner == owner)
            .ExecuteUpdateAsync(s => s
                .SetProperty(j => j.State, JobState.Queued)
                .SetProperty(j => j.LeaseOwner, (string?)null)
                .SetProperty(j => j.LeaseExpiresAt, (DateTime?)null)
                .SetProperty(j => j.LastError, j => error ?? j.LastError)
                .SetProperty(j => j.Attempts, j => countAttempt ? j.Attempts : j.Attempts - 1), ct);

    public static Task FinishAsync(AppDbContext db, long jobId, JobState state, string? error, CancellationToken ct) =>
        db.TrainingJobs.Where(j => j.Id == jobId)
            .ExecuteUpdateAsync(s => s
                .SetProperty(j => j.State, state)
                .SetProperty(j => j.LeaseOwner, (string?)null)
                .SetProperty(j => j.LeaseExpiresAt, (DateTime?)null)
                .SetProperty(j => j.FinishedAt, Clock.UtcNow())
                .SetProperty(j => j.LastError, error), ct);

    // Raw SQL sees the stored form: PostgreSQL a timestamp, SQLite Unix milliseconds.
    static object DbTime(AppDbContext db, DateTime utc) =>
        db.IsPostgres ? utc : (utc.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond;

    static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@" + name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
