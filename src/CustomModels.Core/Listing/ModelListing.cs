using System.Buffers;
using System.Text;
using CustomModels.Core.Data;
using CustomModels.Core.Models;
using Microsoft.EntityFrameworkCore;

namespace CustomModels.Core.Listing;

/// <summary>Which of an organization's models a list page shows: the optional filters of the list.</summary>
public sealed record ModelFilter(TrainingStatus? Status, string? Language, string? BaseModel);

/// <summary>
/// One page of an organization's models, id ascending, with the number of models that match, as
/// the list's JSON (<see cref="ModelPageJson"/>). The hot read of the API: the total comes from the
/// trigger-kept model_counts, the page through the index that ends in id for the filters given,
/// and each row gives its id and its stored listed JSON (<see cref="CustomModel.ListedJson"/>), so a
/// page costs two values a row. A page with a row whose listed JSON was cleared by a bulk update
/// is written again from the models read whole. The statements stay prepared from one request to the next
/// (<see cref="PreparedReads"/>); on SQLite they are read through <see cref="SqliteStatement"/>.
/// </summary>
public static class ModelListing
{
    // One text per filter combination (bit 1 status, 2 language, 4 base model), so that each
    // provider reuses its prepared statements. PostgreSQL's parameters are named; SQLite's are
    // numbered: ?1 organization, ?2 status, ?3 language, ?4 base model, ?5 limit, ?6 offset.
    // PostgreSQL runs both as one command, one round trip.
    static readonly string[] PostgresSql = Enumerable.Range(0, 8)
        .Select(f => BuildSql(f, "@org", "@status", "@language", "@base_model", "@limit", "@offset"))
        .Select(sql => sql.Count + ";\n" + sql.Page).ToArray();
    static readonly (string Count, string Page)[] SqliteSql = Enumerable.Range(0, 8)
        .Select(f => BuildSql(f, "?1", "?2", "?3", "?4", "?5", "?6")).ToArray();

    static (string Count, string Page) BuildSql(int filters, string org, string status, string language, string baseModel, string limit, string offset)
    {
        var where = new StringBuilder($"\"OrganizationId\" = {org}");
        if ((filters & 1) != 0) where.Append($" AND \"TrainingStatus\" = {status}");
        if ((filters & 2) != 0) where.Append($" AND \"Language\" = {language}");
        if ((filters & 4) != 0) where.Append($" AND \"BaseModel\" = {baseModel}");
        return ($"SELECT COALESCE(SUM(\"Count\"), 0) FROM model_counts WHERE {where}",
            $"SELECT \"Id\", \"ListedJson\" FROM custom_models WHERE {where} ORDER BY \"Id\" LIMIT {limit} OFFSET {offset}");
    }

    /// <summary>The page's JSON (`{"count", "total_results", "result"}`), ready to be sent.</summary>
    public static async Task<ModelPageJson> WritePageAsync(
        AppDbContext db, PreparedReads reads, long organizationId, ModelFilter filter, long offset, int limit, CancellationToken ct)
    {
        var filters = (filter.Status is null ? 0 : 1) | (filter.Language is null ? 0 : 2) | (filter.BaseModel is null ? 0 : 4);
        var page = new ModelPageJson();
        try
        {
            var ids = new List<long>(limit);
            var (total, complete) = db.IsPostgres
                ? await ReadPostgresAsync(reads, PostgresSql[filters], organizationId, filter, offset, limit, page, ids, ct)
                : ReadSqlite(reads, SqliteSql[filters], organizationId, filter, offset, limit, page, ids);
            if (!complete) await RewriteWithUnrenderedAsync(db, page, ids, ct);
            page.Finish(total);
            return page;
        }
        catch
        {
            page.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads the total and the page's rows into <paramref name="page"/>, and their ids into
    /// <paramref name="ids"/>; complete is false when a row had no listed JSON (and was left out).
    /// </summary>
    static (long Total, bool Complete) ReadSqlite(PreparedReads reads, (string Count, string Page) sql,
        long organizationId, ModelFilter filter, long offset, int limit, ModelPageJson page, List<long> ids)
    {
        using var lease = reads.LeaseSqlite();
        var count = lease.Statement(sql.Count);
        var rows = lease.Statement(sql.Page);
        foreach (var statement in new[] { count, rows })
        {
            statement.Bind(1, organizationId);
            if (filter.Status is { } status) statement.Bind(2, (int)status);
            if (filter.Language is { } language) statement.Bind(3, language);
            if (filter.BaseModel is { } baseModel) statement.Bind(4, baseModel);
        }
        rows.Bind(5, limit);
        rows.Bind(6, offset);

        count.Step();
        var total = count.Int64(0);
        var complete = true;
        while (rows.Step())
        {
            var id = rows.Int64(0);
            ids.Add(id);
            var listedJson = rows.Blob(1); // in place, until the next step
            if (listedJson.IsEmpty) complete = false;
            else page.Add(id, listedJson);
        }
        return (total, complete);
    }

    static async Task<(long Total, bool Complete)> ReadPostgresAsync(PreparedReads reads, string sql,
        long organizationId, ModelFilter filter, long offset, int limit, ModelPageJson page, List<long> ids, CancellationToken ct)
    {
        using var read = reads.Start(sql);
        read.Add("@org", organizationId);
        if (filter.Status is { } status) read.Add("@status", (int)status);
        if (filter.Language is { } language) read.Add("@language", language);
        if (filter.BaseModel is { } baseModel) read.Add("@base_model", baseModel);
        read.Add("@limit", (long)limit);
        read.Add("@offset", offset);

        await using var reader = await read.Command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var total = Convert.ToInt64(reader.GetValue(0)); // SUM(bigint) is a numeric
        await reader.NextResultAsync(ct);
        var complete = true;
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            while (await reader.ReadAsync(ct))
            {
                var id = reader.GetInt64(0);
                ids.Add(id);
                if (reader.IsDBNull(1))
                {
                    complete = false;
                    continue;
                }
                // Copied out of Npgsql's buffer into one reused array rather than a new array a row.
                var length = (int)reader.GetBytes(1, 0, null, 0, 0);
                if (length > buffer.Length)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(length);
                }
                reader.GetBytes(1, 0, buffer, 0, length);
                page.Add(id, buffer.AsSpan(0, length));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return (total, complete);
    }

    /// <summary>
    /// The page again when some of its rows had no listed JSON (a bulk update cleared it, and the
    /// renderer has not come by yet): the models read whole, those without listed JSON rendered
    /// from their columns. A model deleted since the first read is left out.
    /// </summary>
    static async Task RewriteWithUnrenderedAsync(AppDbContext db, ModelPageJson page, List<long> ids, CancellationToken ct)
    {
        var models = await db.CustomModels.AsNoTracking().Where(m => ids.Contains(m.Id)).ToDictionaryAsync(m => m.Id, ct);
        page.Clear();
        foreach (var id in ids)
            if (models.TryGetValue(id, out var model))
                page.Add(id, model.ListedJson ?? ModelJson.Listed(model));
    }
}
