using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace CustomModels.Core.Data;

public sealed class SqliteAppDbContext(DbContextOptions<SqliteAppDbContext> options) : AppDbContext(options)
{
    public override bool IsPostgres => false;

    protected override void ConfigureConventions(ModelConfigurationBuilder conventions)
    {
        // SQLite has no timestamp type: times are stored as Unix milliseconds (UTC), which sort,
        // compare and read back far cheaper than text.
        conventions.Properties<DateTime>().HaveConversion<UnixMillisecondsConverter>();
        conventions.Properties<DateTime?>().HaveConversion<UnixMillisecondsConverter>();
    }

    sealed class UnixMillisecondsConverter() : ValueConverter<DateTime, long>(
        v => SqliteTime.ToStored(v), v => SqliteTime.FromStored(v));
}

/// <summary>
/// How SQLite stores a time: Unix milliseconds (UTC). One place for the conversion that EF Core's
/// converter and raw SQL (the job queue) both use.
/// </summary>
public static class SqliteTime
{
    public static long ToStored(DateTime time) => (time.ToUniversalTime().Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond;

    public static DateTime FromStored(long milliseconds) => new(DateTime.UnixEpoch.Ticks + milliseconds * TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);
}

public sealed class PostgresAppDbContext(DbContextOptions<PostgresAppDbContext> options) : AppDbContext(options)
{
    public override bool IsPostgres => true;
}

// Used by `dotnet ef migrations add` only.
public sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteAppDbContext>
{
    public SqliteAppDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteAppDbContext>().UseSqlite("Data Source=design.db").Options);
}

public sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresAppDbContext>
{
    public PostgresAppDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresAppDbContext>().UseNpgsql("Host=localhost").Options);
}
