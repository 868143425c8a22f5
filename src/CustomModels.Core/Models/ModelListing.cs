using System.Data.Common;
using System.Text;
using CustomModels.Core.Data;

namespace CustomModels.Core.Models;

/// <summary>Which of an organization's models a list page shows: the optional filters of the list.</summary>
public sealed record ModelFilter(TrainingStatus? Status, string? Language, string? BaseModel);

/// <summary>
/// One page of an organization's models, id ascending, with the number of models that match.
/// The hot read of the API, so it is one command of two statements (one round trip): the total
/// from the trigger-kept model_counts, then the page through the index that ends in id for the
/// filters given. The rows are read straight from the data reader into models, without the query
/// translation and change-tracking machinery an EF query costs on every call, and the command
/// stays prepared from one request to the next (<see cref="PreparedReads"/>).
/// </summary>
public static class ModelListing
{
    // The columns a listed model shows, in the order ReadModel reads them.
    const string Columns = "\"Id\", \"Name\", \"Description\", \"Language\", \"BaseModel\", \"TrainingStatus\", \"TrainingProgress\", "
        + "\"TrainingError\", \"CreatedAt\", \"UpdatedAt\", \"StartedTrainingAt\", \"FinishedTrainingAt\", \"FailedAt\", "
        + "\"WordErrorRate\", \"BaseWordErrorRate\", \"AccuracyImprovement\", \"CharacterErrorRate\", \"TrainingHours\"";

    // The same eight texts over and over, so each provider can reuse its prepared statements.
    static readonly string[] Sql = Enumerable.Range(0, 8).Select(BuildSql).ToArray();

    static string BuildSql(int filters)
    {
        var where = new StringBuilder("\"OrganizationId\" = @org");
        if ((filters & 1) != 0) where.Append(" AND \"TrainingStatus\" = @status");
        if ((filters & 2) != 0) where.Append(" AND \"Language\" = @language");
        if ((filters & 4) != 0) where.Append(" AND \"BaseModel\" = @base_model");
        return $"SELECT COALESCE(SUM(\"Count\"), 0) FROM model_counts WHERE {where};\n"
            + $"SELECT {Columns} FROM custom_models WHERE {where} ORDER BY \"Id\" LIMIT @limit OFFSET @offset";
    }

    public static async Task<(long Total, List<CustomModel> Page)> ReadPageAsync(
        AppDbContext db, PreparedReads reads, long organizationId, ModelFilter filter, long offset, int limit, CancellationToken ct)
    {
        var filters = (filter.Status is null ? 0 : 1) | (filter.Language is null ? 0 : 2) | (filter.BaseModel is null ? 0 : 4);
        using var read = await reads.StartAsync(db, Sql[filters], ct);
        read.Add("@org", organizationId);
        if (filter.Status is { } status) read.Add("@status", (int)status);
        if (filter.Language is { } language) read.Add("@language", language);
        if (filter.BaseModel is { } baseModel) read.Add("@base_model", baseModel);
        read.Add("@limit", (long)limit);
        read.Add("@offset", offset);

        await using var reader = await read.Command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var total = Convert.ToInt64(reader.GetValue(0)); // SQLite answers an integer, PostgreSQL's SUM(bigint) a numeric
        await reader.NextResultAsync(ct);
        var page = new List<CustomModel>(limit);
        var unixTimes = !db.IsPostgres;
        while (await reader.ReadAsync(ct)) page.Add(ReadModel(reader, organizationId, unixTimes));
        return (total, page);
    }

    static CustomModel ReadModel(DbDataReader r, long organizationId, bool unixTimes) => new()
    {
        Id = r.GetInt64(0),
        OrganizationId = organizationId,
        Name = r.GetString(1),
        Description = r.IsDBNull(2) ? null : r.GetString(2),
        Language = r.GetString(3),
        BaseModel = r.GetString(4),
        TrainingStatus = (TrainingStatus)r.GetInt32(5),
        TrainingProgress = r.IsDBNull(6) ? null : r.GetInt32(6),
        TrainingError = r.IsDBNull(7) ? null : r.GetString(7),
        CreatedAt = Time(r, 8, unixTimes),
        UpdatedAt = Time(r, 9, unixTimes),
        StartedTrainingAt = r.IsDBNull(10) ? null : Time(r, 10, unixTimes),
        FinishedTrainingAt = r.IsDBNull(11) ? null : Time(r, 11, unixTimes),
        FailedAt = r.IsDBNull(12) ? null : Time(r, 12, unixTimes),
        WordErrorRate = r.IsDBNull(13) ? null : r.GetDouble(13),
        BaseWordErrorRate = r.IsDBNull(14) ? null : r.GetDouble(14),
        AccuracyImprovement = r.IsDBNull(15) ? null : r.GetDouble(15),
        CharacterErrorRate = r.IsDBNull(16) ? null : r.GetDouble(16),
        TrainingHours = r.IsDBNull(17) ? null : r.GetDouble(17),
    };

    /// <summary>SQLite keeps times as Unix milliseconds (see SqliteAppDbContext); PostgreSQL as timestamptz.</summary>
    static DateTime Time(DbDataReader r, int column, bool unixTimes) => unixTimes
        ? SqliteTime.FromStored(r.GetInt64(column))
        : DateTime.SpecifyKind(r.GetDateTime(column), DateTimeKind.Utc);
}
