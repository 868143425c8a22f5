using Npgsql;

namespace CustomModels.Tests.Infrastructure;

/// <summary>
/// Databases of their own on the test PostgreSQL server that `make test` starts. Both test
/// projects compile this one file.
/// </summary>
public static class TestPostgres
{
    public static string AdminConnectionString() =>
        Environment.GetEnvironmentVariable("CUSTOMMODELS_TEST_POSTGRES") is { Length: > 0 } cs
            ? cs
            : throw new InvalidOperationException(
                "CUSTOMMODELS_TEST_POSTGRES is not set: run the tests with `make test`, which starts a throw-away PostgreSQL");

    /// <summary>A fresh database: its name and connection string.</summary>
    public static async Task<(string Name, string ConnectionString)> CreateDatabaseAsync()
    {
        var name = "cm_test_" + Guid.NewGuid().ToString("N");
        var admin = AdminConnectionString();
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await create.ExecuteNonQueryAsync();
        return (name, new NpgsqlConnectionStringBuilder(admin) { Database = name }.ToString());
    }

    public static async Task DropDatabaseAsync(string name)
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(AdminConnectionString());
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
