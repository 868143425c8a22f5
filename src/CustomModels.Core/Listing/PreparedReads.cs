using System.Collections.Concurrent;
using System.Data.Common;
using CustomModels.Core.Data;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace CustomModels.Core.Listing;

/// <summary>
/// The commands of the reads every request makes (the key lookup, the list page), prepared once
/// and reused instead of being parsed and planned again on every request.
/// On PostgreSQL they run on a pool of their own, apart from EF Core's: at most
/// <see cref="StorageSettings.ReadConnections"/> connections, where the pool (Max Auto Prepare, see
/// StorageSettings) keeps each statement prepared. Microsoft.Data.Sqlite finalizes a command's
/// prepared statements whenever its connection closes, which a pooled connection does at the end of every
/// request; so on SQLite the reads run on a few connections of their own that stay open, each
/// keeping its prepared commands (and, for the list, its <see cref="SqliteStatement"/>s). Only
/// statements are kept, never results: every execution is a fresh read of the database, which
/// sees whatever another process committed before it.
/// </summary>
public sealed class PreparedReads(StorageSettings storage) : IDisposable
{
    // Idle SQLite connections kept beyond this are closed: more than the requests that run at once is waste.
    const int MaxIdle = 32;
    readonly ConcurrentBag<ReadConnection> idle = [];
    readonly NpgsqlDataSource? postgres = storage.IsPostgres ? OpenPostgresPool(storage) : null;

    static NpgsqlDataSource OpenPostgresPool(StorageSettings storage)
    {
        var builder = new NpgsqlConnectionStringBuilder(storage.ConnectionString)
        {
            MaxPoolSize = storage.ReadConnections,
            // A list page is ~55 KB: the default 8 KB buffer took some 11 receive calls a list request, this about 6.
            ReadBufferSize = 64 * 1024,
        };
        builder.MinPoolSize = Math.Min(builder.MinPoolSize, builder.MaxPoolSize);
        builder.ApplicationName ??= "custom-models reads";
        return NpgsqlDataSource.Create(builder);
    }

    /// <summary>A command for <paramref name="sql"/>, ready for its parameters; dispose it when its reader is done.</summary>
    public PreparedRead Start(string sql)
    {
        if (postgres is not null)
        {
            // The data source's command takes a pooled connection when it runs and gives it back when its reader closes.
            var command = postgres.CreateCommand(sql);
            return new PreparedRead(command, command.Dispose);
        }
        var connection = TakeConnection();
        var prepared = connection.Command(sql);
        return new PreparedRead(prepared, () => Return(connection, prepared));
    }

    /// <summary>
    /// SQLite only: one of the kept-open connections, for reads through its natively prepared
    /// statements (<see cref="SqliteStatement"/>); dispose it to give the connection back.
    /// </summary>
    public SqliteLease LeaseSqlite()
    {
        if (storage.IsPostgres) throw new InvalidOperationException("Native statements are SQLite's");
        return new SqliteLease(this, TakeConnection());
    }

    ReadConnection TakeConnection() => idle.TryTake(out var connection) ? connection : ReadConnection.Open(storage.ConnectionString);

    void Return(ReadConnection connection, SqliteCommand command)
    {
        command.Parameters.Clear();
        Return(connection);
    }

    void Return(ReadConnection connection)
    {
        if (idle.Count < MaxIdle) idle.Add(connection);
        else connection.Dispose();
    }

    /// <summary>A kept-open SQLite connection lent out; its statements are reset when it goes back.</summary>
    public sealed class SqliteLease : IDisposable
    {
        readonly PreparedReads owner;
        ReadConnection? connection;
        readonly List<SqliteStatement> used = new(2);

        internal SqliteLease(PreparedReads owner, ReadConnection connection) => (this.owner, this.connection) = (owner, connection);

        /// <summary>The statement for <paramref name="sql"/>, prepared on first use on this connection.</summary>
        public SqliteStatement Statement(string sql)
        {
            var statement = connection!.Statement(sql);
            used.Add(statement);
            return statement;
        }

        public void Dispose()
        {
            if (connection is null) return;
            foreach (var statement in used) statement.Reset();
            owner.Return(connection);
            connection = null;
        }
    }

    public void Dispose()
    {
        while (idle.TryTake(out var connection)) connection.Dispose();
        postgres?.Dispose();
    }

    /// <summary>An open SQLite connection with its commands, prepared on first use, by SQL text.</summary>
    internal sealed class ReadConnection : IDisposable
    {
        readonly SqliteConnection connection;
        readonly Dictionary<string, SqliteCommand> commands = new(StringComparer.Ordinal);
        readonly Dictionary<string, SqliteStatement> statements = new(StringComparer.Ordinal);

        ReadConnection(SqliteConnection connection) => this.connection = connection;

        public static ReadConnection Open(string connectionString)
        {
            var connection = new SqliteConnection(connectionString);
            connection.Open();
            SqliteTuning.Apply(connection);
            return new ReadConnection(connection);
        }

        public SqliteCommand Command(string sql)
        {
            if (commands.TryGetValue(sql, out var command)) return command;
            command = connection.CreateCommand();
            command.CommandText = sql;
            command.Prepare();
            commands.Add(sql, command);
            return command;
        }

        public SqliteStatement Statement(string sql)
        {
            if (statements.TryGetValue(sql, out var statement)) return statement;
            statement = new SqliteStatement(connection, sql);
            statements.Add(sql, statement);
            return statement;
        }

        public void Dispose()
        {
            foreach (var statement in statements.Values) statement.Dispose(); // finalized before their connection closes
            connection.Dispose();
        }
    }
}

/// <summary>One use of a prepared command: add parameters, execute, dispose.</summary>
public sealed class PreparedRead(DbCommand command, Action done) : IDisposable
{
    public DbCommand Command => command;

    public void Add(string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    public void Dispose() => done();
}
