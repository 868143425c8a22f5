using CustomModels.Core.Listing;
using CustomModels.Core.Storage;
using CustomModels.Speech.Settings;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CustomModels.Core.Data;

/// <summary>
/// Where the service keeps its state: the database (SQLite file by default, PostgreSQL when the
/// connection string says Host=…) and the data folder for blobs.
/// Read from CUSTOMMODELS_DATA_DIR (default ./data) and CUSTOMMODELS_DATABASE.
/// Read straight from the environment (by <see cref="SettingsReader"/>'s rule) rather than through
/// the options pattern (<see cref="SettingsOptions"/>) like the other settings: the operator
/// commands, which build no host, need them too, and a host's services are registered with them.
/// </summary>
public sealed record StorageSettings(string DataDirectory, string ConnectionString, bool IsPostgres)
{
    /// <summary>
    /// PostgreSQL only: the most connections of the pool that serves the reads every request makes,
    /// the key lookup and the list page (<see cref="PreparedReads"/>), in one process
    /// (CUSTOMMODELS_READ_CONNECTIONS). These reads take well under a millisecond of the database's
    /// time; more of them at once than there are cores to run them queue inside PostgreSQL instead
    /// of in the pool, and the queueing is then unfair. With one connection per request (16 at
    /// once on 2 cores) the list's p99 was 45–100 ms; with 4, mostly 6–10 ms, at the same throughput.
    /// </summary>
    public int ReadConnections { get; init; } = Math.Max(4, 2 * Environment.ProcessorCount);

    public static StorageSettings FromEnvironment()
    {
        var dataDir = Path.GetFullPath(EnvironmentSettings.Text("CUSTOMMODELS_DATA_DIR") ?? "data");
        var database = EnvironmentSettings.Text("CUSTOMMODELS_DATABASE");
        StorageSettings settings;
        try
        {
            settings = Create(dataDir, database);
        }
        catch (ArgumentException e)
        {
            throw new SettingsException($"CUSTOMMODELS_DATABASE is not a connection string this service can use: {e.Message}");
        }
        return settings with { ReadConnections = EnvironmentSettings.Whole("CUSTOMMODELS_READ_CONNECTIONS", settings.ReadConnections) };
    }

    public static StorageSettings Create(string dataDirectory, string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            connectionString = $"Data Source={Path.Combine(dataDirectory, StorageLayout.SqliteDatabase)}";
        var isPostgres = connectionString.Contains("Host=", StringComparison.OrdinalIgnoreCase)
            || connectionString.Contains("Server=", StringComparison.OrdinalIgnoreCase);
        if (!isPostgres)
        {
            // Pooling keeps connections (and their WAL set-up) open between requests;
            // a busy timeout lets writers wait for each other instead of failing.
            var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = true, DefaultTimeout = 30 };
            connectionString = builder.ToString();
        }
        else
        {
            // The service runs the same few statements over and over: prepared once per pooled
            // connection, PostgreSQL parses and plans them once instead of on every request.
            // The service keeps no session state (no SET, temporary tables or LISTEN; the start-up
            // advisory lock is released before its connection goes back), so a pooled connection
            // need not be reset (several statements) on every reuse.
            var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
            if (builder.MaxAutoPrepare == 0) builder.MaxAutoPrepare = 64;
            builder.NoResetOnClose = true;
            // A prepared statement that filters on parameters and pages with LIMIT/OFFSET parameters
            // (the list) looks dearer to PostgreSQL's planner as one generic plan than as a plan for
            // its values, so by default it is planned again on every execution: half the database's
            // time for a list page, with the models table's six indexes to weigh. The service's
            // statements are lookups by key and index range scans whose best plan does not depend on
            // the values, so each is planned once per connection. An operator's own Options keep theirs.
            if (builder.Options?.Contains("plan_cache_mode", StringComparison.Ordinal) != true)
                builder.Options = $"{builder.Options} -c plan_cache_mode=force_generic_plan".Trim();
            connectionString = builder.ToString();
        }
        return new StorageSettings(dataDirectory, connectionString, isPostgres);
    }
}

public static class Database
{
    public static IServiceCollection AddAppDatabase(this IServiceCollection services, StorageSettings storage)
    {
        services.AddSingleton(storage);
        if (storage.IsPostgres)
            services.AddDbContextPool<AppDbContext, PostgresAppDbContext>(o => o.UseNpgsql(storage.ConnectionString));
        else
            services.AddDbContextPool<AppDbContext, SqliteAppDbContext>(o => o.UseSqlite(storage.ConnectionString).AddInterceptors(SqliteTuning.Instance));
        services.AddSingleton<PreparedReads>();
        return services;
    }

    /// <summary>A context outside dependency injection, for the operator commands.</summary>
    public static AppDbContext Open(StorageSettings storage) => storage.IsPostgres
        ? new PostgresAppDbContext(new DbContextOptionsBuilder<PostgresAppDbContext>().UseNpgsql(storage.ConnectionString).Options)
        : new SqliteAppDbContext(new DbContextOptionsBuilder<SqliteAppDbContext>().UseSqlite(storage.ConnectionString).AddInterceptors(SqliteTuning.Instance).Options);

    /// <summary>Creates the data folder and brings the schema up to date, once however many processes start together.</summary>
    public static async Task MigrateAsync(AppDbContext db, StorageSettings storage, CancellationToken ct = default)
    {
        Directory.CreateDirectory(storage.DataDirectory);
        if (!storage.IsPostgres)
        {
            // WAL lets readers and one writer work at once: many API requests beside a training worker.
            await db.Database.OpenConnectionAsync(ct);
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
        }
        await OneAtATimeAsync(db, () => db.Database.MigrateAsync(ct), ct);
    }

    // Any fixed number: the one advisory lock of this application's start-up.
    const long StartupLock = 0x636d5f7374617274; // "cm_start"

    /// <summary>
    /// Runs start-up work (migrations, the first key) in one process at a time among all those that
    /// share a PostgreSQL database: EF Core's own migration lock does not keep two processes from
    /// applying the same migration there. A session advisory lock; a process that dies holding it
    /// loses it with its connection. SQLite serves one machine, where EF Core's lock suffices.
    /// </summary>
    public static async Task OneAtATimeAsync(AppDbContext db, Func<Task> work, CancellationToken ct = default)
    {
        if (!db.IsPostgres)
        {
            await work();
            return;
        }
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_lock({StartupLock})", ct);
            try
            {
                await work();
            }
            finally
            {
                await db.Database.ExecuteSqlRawAsync($"SELECT pg_advisory_unlock({StartupLock})", CancellationToken.None);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}

/// <summary>
/// Per-connection SQLite settings. Memory-mapped reads and a larger page cache keep a page of
/// the list (rows scattered over a large table) out of read() system calls; the busy timeout
/// lets a writer wait for another instead of failing. They belong to the native connection, which
/// the pool keeps open between requests: each is set up once, not on every open of a pooled connection.
/// </summary>
sealed class SqliteTuning : Microsoft.EntityFrameworkCore.Diagnostics.DbConnectionInterceptor
{
    public static readonly SqliteTuning Instance = new();
    const string Pragmas = "PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -65536; PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL;";

    // The native connections already set up; an entry goes when its connection is closed for good.
    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> Tuned = new();

    public override void ConnectionOpened(System.Data.Common.DbConnection connection, Microsoft.EntityFrameworkCore.Diagnostics.ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(System.Data.Common.DbConnection connection, Microsoft.EntityFrameworkCore.Diagnostics.ConnectionEndEventData eventData, CancellationToken ct = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    internal static void Apply(System.Data.Common.DbConnection connection)
    {
        var handle = ((SqliteConnection)connection).Handle!;
        if (Tuned.TryGetValue(handle, out _)) return;
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
        Tuned.AddOrUpdate(handle, handle);
    }
}
