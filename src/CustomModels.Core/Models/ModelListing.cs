using System.Text;
using CustomModels.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CustomModels.Core.Models;

/// <summary>Which of an organization's models a list page shows: the optional filters of the list.</summary>
public sealed record ModelFilter(TrainingStatus? Status, string? Language, string? BaseModel);

/// <summary>
/// One page of an organization's models, id ascending, with the number of models that match, as
/// the list's JSON (<see cref="ModelPageJson"/>). The hot read of the API: the total comes from the
/// trigger-kept model_counts, the page through the index that ends in id for the filters given,
/// and each row gives its id and its stored listed JSON (<see cref="CustomModel.ListedJson"/>), so a
/// page costs two values a row. A row whose listed JSON was cleared by a bulk update is rendered
/// from its columns. The statements stay prepared from one request to the next
/// (<see cref="PreparedReads"/>); on SQLite they are read through <see cref="SqliteStatement"/>.
/// </summary>
public static class ModelListing
{
    // One text per filter combination (bit 1 status, 2 language, 4 base model), so that each
    // provider reuses its prepared statements. PostgreSQL's parameters are named; SQLite's are
    // numbered: ?1 organization, ?2 status, ?3 language, ?4 base model, ?5 limit, ?6 offset.
    static readonly (string Count, string Page)[] PostgresSql = Enumerable.Range(0, 8)
        .Select(f => BuildSql(f, "@org", "@status", "@language", "@base_model", "@limit", "@offset")).ToArray();
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
            var total = db.IsPostgres
                ? await ReadPostgresAsync(db, reads, PostgresSql[filters], organizationId, filter, offset, limit, page, ct)
                : await ReadSqliteAsync(db, reads, SqliteSql[filters], organizationId, filter, offset, limit, page, ct);
            page.Finish(total);
            return page;
        }
        catch
        {
            page.Dispose();
            throw;
        }
    }

    static async Task<long> ReadSqliteAsync(AppDbContext db, PreparedReads reads, (string Count, string Page) sql,
        long organizationId, ModelFilter filter, long offset, int limit, ModelPageJson page, CancellationToken ct)
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
        while (rows.Step())
            if (!AddRendered(page, rows)) await AddUnrenderedAsync(db, page, rows.Int64(0), ct);
        return total;
    }

    /// <summary>Adds the row's model from its listed JSON, handed over in place; false when it has none.</summary>
    static bool AddRendered(ModelPageJson page, SqliteStatement row)
    {
        var listedJson = row.Blob(1);
        if (listedJson.IsEmpty) return false;
        page.Add(row.Int64(0), listedJson);
        return true;
    }

    static async Task<long> ReadPostgresAsync(AppDbContext db, PreparedReads reads, (string Count, string Page) sql,
        long organizationId, ModelFilter filter, long offset, int limit, ModelPageJson page, CancellationToken ct)
    {
        long total;
        var rows = new List<(long Id, byte[]? ListedJson)>(limit);
        using (var read = await reads.StartAsync(db, sql.Count + ";\n" + sql.Page, ct))
        {
            read.Add("@org", organizationId);
            if (filter.Status is { } status) read.Add("@status", (int)status);
            if (filter.Language is { } language) read.Add("@language", language);
            if (filter.BaseModel is { } baseModel) read.Add("@base_model", baseModel);
            read.Add("@limit", (long)limit);
            read.Add("@offset", offset);

            await using var reader = await read.Command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            total = Convert.ToInt64(reader.GetValue(0)); // SUM(bigint) is a numeric
            await reader.NextResultAsync(ct);
            while (await reader.ReadAsync(ct))
                rows.Add((reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<byte[]>(1)));
        }
        // The connection is free again for the rows to render (PostgreSQL runs one command at a time on it).
        foreach (var (id, listedJson) in rows)
            if (listedJson is not null) page.Add(id, listedJson);
            else await AddUnrenderedAsync(db, page, id, ct);
        return total;
    }

    /// <summary>A model whose listed JSON was cleared, rendered from its columns; skipped if it was deleted meanwhile.</summary>
    static async Task AddUnrenderedAsync(AppDbContext db, ModelPageJson page, long id, CancellationToken ct)
    {
        var model = await db.CustomModels.AsNoTracking().FirstOrDefaultAsync(m => m.Id == id, ct);
        if (model is not null) page.Add(id, ModelPageJson.Render(model));
    }
}
