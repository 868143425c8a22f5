using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.RateLimiting;
using CustomModels.Api.Auth;
using CustomModels.Api.Errors;
using Microsoft.AspNetCore.RateLimiting;

namespace CustomModels.Api.RateLimits;

/// <summary>
/// Per-key limits with the framework's limiters: a fixed one-minute window of requests and a
/// cap on requests in flight, each key with its own figures (0 = unlimited). Requests without
/// a valid key are not limited here: they are answered 401 before they cost anything.
/// </summary>
public sealed class KeyRateLimits
{
    static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    // When each key's current limiter was created: its windows are counted from there, which is
    // what X-RateLimit-Reset reports (the limiter itself does not expose its window start).
    readonly ConcurrentDictionary<long, DateTimeOffset> windowStarts = new();
    readonly TimeProvider time;

    public KeyRateLimits(TimeProvider time)
    {
        this.time = time;
        PerMinute = PartitionedRateLimiter.Create<HttpContext, long>(context =>
        {
            var key = CurrentKey.Find(context);
            if (key is null || key.RequestsPerMinute == 0) return RateLimitPartition.GetNoLimiter(-1L);
            return RateLimitPartition.Get(key.KeyId, id =>
            {
                windowStarts[id] = time.GetUtcNow();
                return new FixedWindowRateLimiter(new FixedWindowRateLimiterOptions
                {
                    PermitLimit = key.RequestsPerMinute, Window = Window, QueueLimit = 0, AutoReplenishment = true,
                });
            });
        });
        InFlight = PartitionedRateLimiter.Create<HttpContext, long>(context =>
        {
            var key = CurrentKey.Find(context);
            if (key is null || key.MaxConcurrent == 0) return RateLimitPartition.GetNoLimiter(-1L);
            return RateLimitPartition.GetConcurrencyLimiter(key.KeyId,
                _ => new ConcurrencyLimiterOptions { PermitLimit = key.MaxConcurrent, QueueLimit = 0 });
        });
    }

    public PartitionedRateLimiter<HttpContext> PerMinute { get; }
    public PartitionedRateLimiter<HttpContext> InFlight { get; }

    /// <summary>In-flight first: a request refused for concurrency then costs none of the minute's permits.</summary>
    public PartitionedRateLimiter<HttpContext> Combined() => PartitionedRateLimiter.CreateChained(InFlight, PerMinute);

    long ResetSeconds(long keyId)
    {
        var now = time.GetUtcNow();
        var start = windowStarts.GetValueOrDefault(keyId, now);
        var windows = Math.Floor((now - start) / Window) + 1;
        return (start + windows * Window).ToUnixTimeSeconds();
    }

    /// <summary>Puts X-RateLimit-* on the response of a request with a limited key.</summary>
    public void AddHeaders(HttpContext context)
    {
        var key = CurrentKey.Find(context);
        if (key is null || key.RequestsPerMinute == 0) return;
        var remaining = PerMinute.GetStatistics(context)?.CurrentAvailablePermits ?? 0;
        var headers = context.Response.Headers;
        headers["X-RateLimit-Limit"] = key.RequestsPerMinute.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Remaining"] = remaining.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Reset"] = ResetSeconds(key.KeyId).ToString(CultureInfo.InvariantCulture);
    }

    async ValueTask OnRejected(OnRejectedContext rejected, CancellationToken ct)
    {
        var context = rejected.HttpContext;
        var key = CurrentKey.Get(context);
        int retryAfter;
        string message;
        if (rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait))
        {
            retryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
            message = $"Rate limit of {key.RequestsPerMinute} requests per minute exceeded. Try again in {retryAfter} seconds.";
        }
        else
        {
            retryAfter = 1;
            message = $"Too many requests in flight for this API key (at most {key.MaxConcurrent} at once). Try again in a second.";
        }
        AddHeaders(context);
        context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        await new ApiError(StatusCodes.Status429TooManyRequests, message, "RATE_LIMIT_EXCEEDED") { RetryAfter = retryAfter }
            .WriteAsync(context.Response);
    }

    public void Configure(RateLimiterOptions options)
    {
        options.GlobalLimiter = Combined();
        options.OnRejected = OnRejected;
    }
}

public static class RateLimitSetup
{
    public static IServiceCollection AddKeyRateLimits(this IServiceCollection services)
    {
        var limits = new KeyRateLimits(TimeProvider.System);
        services.AddSingleton(limits);
        services.AddRateLimiter(limits.Configure);
        return services;
    }

    /// <summary>Limits run after authentication (they are per key) and add their headers to every answer.</summary>
    public static WebApplication UseKeyRateLimits(this WebApplication app)
    {
        var limits = app.Services.GetRequiredService<KeyRateLimits>();
        app.UseRateLimiter();
        app.Use((context, next) =>
        {
            limits.AddHeaders(context);
            return next(context);
        });
        return app;
    }
}
