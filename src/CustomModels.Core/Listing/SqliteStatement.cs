using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Data.Sqlite;

namespace CustomModels.Core.Listing;

/// <summary>
/// A statement prepared once on an open SQLite connection and read through direct calls into the
/// SQLite library that Microsoft.Data.Sqlite itself loads (e_sqlite3), for the list page, whose
/// rows hand over 50 kB of stored JSON per request. Microsoft.Data.Sqlite's reader goes through
/// SQLitePCLRaw, which takes and releases a SafeHandle on every call and asks each value's type
/// first, and copies a blob into a new array; here a value is one plain call, and a blob is read
/// where SQLite holds it. The statement is owned by a <see cref="StatementHandle"/>, which finalizes
/// it even when Dispose is missed; the reads pass its pointer as it is, because the statement is
/// used by one caller at a time and disposed only by the connection it belongs to, when that is
/// idle (see PreparedReads).
/// </summary>
public sealed unsafe partial class SqliteStatement : IDisposable
{
    readonly SqliteConnection connection;
    readonly StatementHandle handle;
    readonly nint statement;

    public SqliteStatement(SqliteConnection connection, string sql)
    {
        this.connection = connection;
        var text = Encoding.UTF8.GetBytes(sql);
        fixed (byte* p = text)
            Check(Native.sqlite3_prepare_v3(Database, p, text.Length, Native.PreparePersistent, out handle, null));
        statement = handle.DangerousGetHandle();
    }

    nint Database => connection.Handle!.DangerousGetHandle();

    public void Bind(int index, long value) => Check(Native.sqlite3_bind_int64(statement, index, value));

    public void Bind(int index, string value)
    {
        var text = Encoding.UTF8.GetBytes(value);
        fixed (byte* p = text)
            Check(Native.sqlite3_bind_text(statement, index, p, text.Length, Native.Transient));
    }

    /// <summary>Moves to the next row; false at the end. Bindings stay until <see cref="Reset"/>.</summary>
    public bool Step()
    {
        var result = Native.sqlite3_step(statement);
        if (result == Native.Row) return true;
        if (result == Native.Done) return false;
        throw Error(result);
    }

    /// <summary>Ready for the next use: the read's locks released, the bindings cleared.</summary>
    public void Reset()
    {
        Native.sqlite3_reset(statement);
        Native.sqlite3_clear_bindings(statement);
    }

    public long Int64(int column) => Native.sqlite3_column_int64(statement, column);

    /// <summary>The column's bytes, in place: valid until the next step or reset. Empty for NULL.</summary>
    public ReadOnlySpan<byte> Blob(int column)
    {
        var bytes = Native.sqlite3_column_blob(statement, column);
        return bytes is null ? default : new ReadOnlySpan<byte>(bytes, Native.sqlite3_column_bytes(statement, column));
    }

    void Check(int result)
    {
        if (result != 0) throw Error(result);
    }

    SqliteException Error(int result)
    {
        var message = Marshal.PtrToStringUTF8(Native.sqlite3_errmsg(Database));
        return new SqliteException($"SQLite Error {result}: '{message}'.", result & 0xFF, Native.sqlite3_extended_errcode(Database));
    }

    public void Dispose() => handle.Dispose();

    /// <summary>
    /// An sqlite3_stmt, finalized when disposed or, if that is missed, when collected. Either may
    /// come after its connection is closed: Microsoft.Data.Sqlite closes with sqlite3_close_v2, which
    /// keeps the connection until its last statement is finalized.
    /// </summary>
    sealed class StatementHandle() : SafeHandle(invalidHandleValue: 0, ownsHandle: true)
    {
        public override bool IsInvalid => handle == 0;

        protected override bool ReleaseHandle()
        {
            Native.sqlite3_finalize(handle);
            return true;
        }
    }

    static partial class Native
    {
        const string Library = "e_sqlite3";
        public const uint PreparePersistent = 0x01;
        public const int Row = 100, Done = 101;
        public static readonly nint Transient = -1; // SQLite copies the bound text

        [LibraryImport(Library)]
        public static partial int sqlite3_prepare_v3(nint db, byte* sql, int bytes, uint flags, out StatementHandle statement, byte** tail);

        [LibraryImport(Library)]
        public static partial int sqlite3_bind_int64(nint statement, int index, long value);

        [LibraryImport(Library)]
        public static partial int sqlite3_bind_text(nint statement, int index, byte* text, int bytes, nint destructor);

        [LibraryImport(Library)]
        public static partial int sqlite3_step(nint statement);

        [LibraryImport(Library)]
        public static partial int sqlite3_reset(nint statement);

        [LibraryImport(Library)]
        public static partial int sqlite3_clear_bindings(nint statement);

        [LibraryImport(Library)]
        public static partial int sqlite3_finalize(nint statement);

        [LibraryImport(Library)]
        public static partial nint sqlite3_errmsg(nint db);

        [LibraryImport(Library)]
        public static partial int sqlite3_extended_errcode(nint db);

        // The column reads only copy out of the current row: short calls that never block or call
        // back, so they skip the GC transition a P/Invoke otherwise costs.
        [LibraryImport(Library), SuppressGCTransition]
        public static partial long sqlite3_column_int64(nint statement, int column);

        [LibraryImport(Library), SuppressGCTransition]
        public static partial byte* sqlite3_column_blob(nint statement, int column);

        [LibraryImport(Library), SuppressGCTransition]
        public static partial int sqlite3_column_bytes(nint statement, int column);
    }
}
