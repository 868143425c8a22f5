using Microsoft.AspNetCore.Diagnostics;

namespace CustomModels.Api.Errors;

/// <summary>Makes sure nothing leaves the service as an HTML page, a stack trace or an empty error.</summary>
public static class ErrorHandling
{
    public static WebApplication UseApiErrors(this WebApplication app)
    {
        app.UseExceptionHandler(errorApp => errorApp.Run(async context =>
        {
            var exception = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            ApiError error;
            if (exception is BadHttpRequestException bad)
                error = ApiError.ForBareStatus(bad.StatusCode);
            else if (IsStorageFull(exception))
            {
                // Checked before the database: a full disk is not an outage, and retrying will not help until
                // an operator frees space. Nothing was half-done: temporary files are deleted, a failed
                // transaction is rolled back.
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("CustomModels.Errors")
                    .LogWarning(exception, "No storage left for {Method} {Path}", context.Request.Method, context.Request.Path);
                error = new ApiError(StatusCodes.Status507InsufficientStorage, "The server has no storage left for this request", "INSUFFICIENT_STORAGE");
            }
            else if (exception is not null && RateLimits.KeyRateLimits.IsStoreOutage(exception))
            {
                // Shared rate limits cannot be checked: refusing (rather than serving unlimited)
                // keeps every key's limit true; nothing of the request was done yet.
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("CustomModels.Errors")
                    .LogWarning(exception, "Rate-limit store unavailable for {Method} {Path}", context.Request.Method, context.Request.Path);
                context.Response.Headers.RetryAfter = "5";
                error = new ApiError(StatusCodes.Status503ServiceUnavailable, "Rate limits cannot be checked: the rate-limit store is unavailable; try again shortly", "RATE_LIMIT_STORE_UNAVAILABLE");
            }
            else if (Find<System.Data.Common.DbException>(exception) is not null || Find<TimeoutException>(exception) is not null)
            {
                // The database is down or unreachable: the client may retry; nothing was half-done
                // (every write is one transaction, blobs are renamed into place first).
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("CustomModels.Errors")
                    .LogWarning(exception, "Database unavailable for {Method} {Path}", context.Request.Method, context.Request.Path);
                context.Response.Headers.RetryAfter = "5";
                error = new ApiError(StatusCodes.Status503ServiceUnavailable, "The database is unavailable; try again shortly", "DATABASE_UNAVAILABLE");
            }
            else
            {
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("CustomModels.Errors")
                    .LogError(exception, "Unhandled exception for {Method} {Path}", context.Request.Method, context.Request.Path);
                error = ApiError.ForBareStatus(StatusCodes.Status500InternalServerError);
            }
            await error.WriteAsync(context.Response);
        }));

        // Routing's 404 and 405, and any other status set without a body, get the error shape.
        app.UseStatusCodePages(async statusContext =>
        {
            var response = statusContext.HttpContext.Response;
            if (response.StatusCode >= 400)
                await ApiError.ForBareStatus(response.StatusCode).WriteAsync(response);
        });
        return app;
    }

    /// <summary>
    /// A write refused for want of space: ENOSPC or EDQUOT from a file write (.NET reports the errno
    /// as the IOException's HResult), SQLITE_FULL (13) from SQLite, disk_full (53100) from PostgreSQL.
    /// </summary>
    static bool IsStorageFull(Exception? exception) =>
        Find<IOException>(exception) is { HResult: NoSpaceLeftOnDevice or DiskQuotaExceeded }
        || Find<Microsoft.Data.Sqlite.SqliteException>(exception) is { SqliteErrorCode: SqliteFull }
        || Find<Npgsql.PostgresException>(exception) is { SqlState: Npgsql.PostgresErrorCodes.DiskFull };

    const int NoSpaceLeftOnDevice = 28, DiskQuotaExceeded = 122, SqliteFull = 13;

    static T? Find<T>(Exception? exception) where T : Exception
    {
        for (var e = exception; e is not null; e = e.InnerException)
            if (e is T found) return found;
        return null;
    }
}
