using CustomModels.Core.Access;
using CustomModels.Core.Data;
using CustomModels.Core.Models;
using CustomModels.Tests.Infrastructure;

namespace CustomModels.Core.Tests.Infrastructure;

public enum DatabaseKind { Sqlite, Postgres }

/// <summary>
/// A real database of one test class's own, migrated as the service migrates it: a SQLite file in
/// a temporary folder, or a fresh database on the test PostgreSQL server.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    readonly string? postgresDatabase;

    TestDatabase(StorageSettings storage, string? postgresDatabase)
    {
        Storage = storage;
        this.postgresDatabase = postgresDatabase;
    }

    public StorageSettings Storage { get; }

    public static async Task<TestDatabase> CreateAsync(DatabaseKind kind)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "custom-models-core-tests", Guid.NewGuid().ToString("N"));
        string? connectionString = null, name = null;
        if (kind == DatabaseKind.Postgres) (name, connectionString) = await TestPostgres.CreateDatabaseAsync();
        var database = new TestDatabase(StorageSettings.Create(dataDir, connectionString), name);
        await using var db = database.Open();
        await Database.MigrateAsync(db, database.Storage);
        return database;
    }

    /// <summary>A context of its own, as each request or worker iteration has.</summary>
    public AppDbContext Open() => Database.Open(Storage);

    /// <summary>A model of a new organization, as created (status 1).</summary>
    public async Task<CustomModel> CreateModelAsync(string language = "en")
    {
        await using var db = Open();
        var now = DateTime.UtcNow;
        var org = await Organizations.CreateAsync(db, "org-" + Guid.NewGuid().ToString("N"));
        var model = new CustomModel
        {
            OrganizationId = org.Id, Name = "model", Language = language, BaseModel = "general", CreatedAt = now, UpdatedAt = now,
        };
        db.CustomModels.Add(model);
        await db.SaveChangesAsync();
        return model;
    }

    public async ValueTask DisposeAsync()
    {
        if (postgresDatabase is not null) await TestPostgres.DropDatabaseAsync(postgresDatabase);
        else Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(Storage.DataDirectory, recursive: true); } catch (IOException) { }
    }
}

/// <summary>One SQLite database per test class.</summary>
public sealed class SqliteDatabase : IAsyncLifetime
{
    public TestDatabase Database { get; private set; } = null!;
    public async Task InitializeAsync() => Database = await TestDatabase.CreateAsync(DatabaseKind.Sqlite);
    public async Task DisposeAsync() => await Database.DisposeAsync();
}

/// <summary>One PostgreSQL database per test class.</summary>
public sealed class PostgresDatabase : IAsyncLifetime
{
    public TestDatabase Database { get; private set; } = null!;
    public async Task InitializeAsync() => Database = await TestDatabase.CreateAsync(DatabaseKind.Postgres);
    public async Task DisposeAsync() => await Database.DisposeAsync();
}
