using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.RateLimiting;
using CustomModels.Api.Auth;
using CustomModels.Api.Errors;
using CustomModels.Core;
using CustomModels.Speech.Settings;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using RedisRateLimiting;
using StackExchange.Redis;

namespace CustomModels.Api.RateLimits;

/// <summary>
/// Per-key limits: a fixed one-minute window of requests and a cap on requests in flight, each
/// key with its own figures (0 = unlimited). In one process they are the framework's limiters;
/// with a Redis server (CUSTOMMODELS_REDIS) they are RedisRateLimiting's, whose counters live in
/// Redis, so all API processes together count against one set of figures per key. Requests
/// without a valid key are not limited here: they are answered 401 before they cost anything.
/// </summary>
public sealed class KeyRateLimits
{
    static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    // The framework's limiter opens its next window when its timer fires, which can be a little
    // after the window's nominal end; a client that waits as long as Retry-After says must not
    // arrive before that.
    static readonly TimeSpan ReplenishLatency = TimeSpan.FromMilliseconds(500);

    // In one process: when each key's current limiter was created. Its windows are counted from
    // there, which is what X-RateLimit-Reset reports (the limiter itself does not expose its window start).
    readonly ConcurrentDictionary<string, DateTimeOffset> windowStarts = new();
    readonly TimeProvider time;

    public KeyRateLimits(TimeProvider time, IConnectionMultiplexer? redis = null)
    {
        this.time = time;
        if (redis is null)
        {
            var windows = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var key = CurrentKey.Find(context);
                if (key is null || key.RequestsPerMinute == 0) return RateLimitPartition.GetNoLimiter("");
                return RateLimitPartition.Get(key.Prefix, prefix =>
                {
                    windowStarts[prefix] = time.GetUtcNow();
                    return new FixedWindowRateLimiter(new FixedWindowRateLimiterOptions
                    {
                        PermitLimit = key.RequestsPerMinute, Window = Window, QueueLimit = 0, AutoReplenishment = true,
                    });
                });
            });
            PerMinute = new WindowObserver(windows, (context, lease) => new WindowState(lease.IsAcquired,
                windows.GetStatistics(context)?.CurrentAvailablePermits ?? 0, LocalWindowEnd(CurrentKey.Get(context).Prefix)));
            InFlight = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var key = CurrentKey.Find(context);
                if (key is null || key.MaxConcurrent == 0) return RateLimitPartition.GetNoLimiter("");
                return RateLimitPartition.GetConcurrencyLimiter(key.Prefix,
                    _ => new ConcurrencyLimiterOptions { PermitLimit = key.MaxConcurrent, QueueLimit = 0 });
            });
        }
        else
        {
            // Partitioned by the key's prefix, not its row id: the prefix is unique across databases
            // too, so deployments (or test databases) sharing one Redis never share a counter.
            var windows = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var key = CurrentKey.Find(context);
                if (key is null || key.RequestsPerMinute == 0) return RateLimitPartition.GetNoLimiter("");
                return RedisRateLimitPartition.GetFixedWindowRateLimiter(key.Prefix, _ => new RedisFixedWindowRateLimiterOptions
                {
                    PermitLimit = key.RequestsPerMinute, Window = Window, ConnectionMultiplexerFactory = () => redis,
                });
            });
            // The Redis window's lease carries the count and the window's last second (Unix seconds):
            // the library's script starts a new window only once the current second is past it.
            PerMinute = new WindowObserver(windows, (_, lease) => new WindowState(lease.IsAcquired,
                lease.TryGetMetadata(RateLimitMetadataName.Remaining, out var remaining) ? remaining : 0,
                lease.TryGetMetadata(RateLimitMetadataName.Reset, out var last)
                    ? DateTimeOffset.FromUnixTimeSeconds(last + 1) : time.GetUtcNow() + Window));
            // A request's slot is kept in Redis until it ends, or at most 60 s (the library's bound):
            // that is how the slots of a process that died come back.
            InFlight = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var key = CurrentKey.Find(context);
                if (key is null || key.MaxConcurrent == 0) return RateLimitPartition.GetNoLimiter("");
                return RedisRateLimitPartition.GetConcurrencyRateLimiter(key.Prefix, _ => new RedisConcurrencyRateLimiterOptions
                {
                    PermitLimit = key.MaxConcurrent, QueueLimit = 0, ConnectionMultiplexerFactory = () => redis,
                });
            });
        }
    }

    public PartitionedRateLimiter<HttpContext> PerMinute { get; }
    public PartitionedRateLimiter<HttpContext> InFlight { get; }

    /// <summary>In-flight first: a request refused for concurrency then costs none of the minute's permits.</summary>
    public PartitionedRateLimiter<HttpContext> Combined() => PartitionedRateLimiter.CreateChained(InFlight, PerMinute);

    DateTimeOffset LocalWindowEnd(string prefix)
    {
        var now = time.GetUtcNow();
        var start = windowStarts.GetValueOrDefault(prefix, now);
        var windows = Math.Floor((now - start) / Window) + 1;
        return start + windows * Window + ReplenishLatency;
    }

    /// <summary>Puts X-RateLimit-* on the response of a request with a limited key, as its window stood for this request.</summary>
    public void AddHeaders(HttpContext context)
    {
        var key = CurrentKey.Find(context);
        if (key is null || key.RequestsPerMinute == 0 || WindowState.Find(context) is not { } window) return;
        var headers = context.Response.Headers;
        headers["X-RateLimit-Limit"] = key.RequestsPerMinute.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Remaining"] = window.Remaining.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Reset"] = window.ResetUnixSeconds.ToString(CultureInfo.InvariantCulture);
    }

    async ValueTask OnRejected(OnRejectedContext rejected, CancellationToken ct)
    {
        var context = rejected.HttpContext;
        var key = CurrentKey.Get(context);
        int retryAfter;
        string message;
        if (WindowState.Find(context) is { Acquired: false } window)
        {
            // Counted from the current whole second to X-RateLimit-Reset, so the two headers agree: a
            // client that comes back after exactly this many seconds is past the reset second and finds
            // the new window (seconds counted from the exact instant would round the other way at times).
            retryAfter = (int)Math.Clamp(window.ResetUnixSeconds - time.GetUtcNow().ToUnixTimeSeconds(), 1, Window.TotalSeconds + 2);
            message = $"Rate limit of {key.RequestsPerMinute} requests per minute exceeded. Try again in {retryAfter} seconds.";
        }
        else
        {
            // Refused for concurrency before the window was asked: read the window (zero permits
            // spend nothing) so that the headers say where it stands.
            if (key.RequestsPerMinute > 0) (await PerMinute.AcquireAsync(context, 0, ct)).Dispose();
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

    /// <summary>Whether an exception says the shared rate-limit store (Redis) could not be reached.</summary>
    public static bool IsStoreOutage(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
            if (e is RedisException or RedisTimeoutException) return true;
        return false;
    }

    /// <summary>
    /// The connection to Redis. The process starts and keeps running while Redis is away (the
    /// connection comes back by itself); meanwhile a limited request fails at once (503) instead
    /// of waiting in the client's backlog.
    /// </summary>
    public static IConnectionMultiplexer ConnectRedis(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        return ConnectionMultiplexer.Connect(options);
    }
}

/// <summary>A key's window as its limiter saw it for the current request: what X-RateLimit-* report.</summary>
sealed record WindowState(bool Acquired, long Remaining, DateTimeOffset ResetsAt)
{
    /// <summary>X-RateLimit-Reset: the first whole Unix second at which the next window is open.</summary>
    public long ResetUnixSeconds => (ResetsAt.ToUnixTimeMilliseconds() + 999) / 1000;

    public static WindowState? Find(HttpContext context) => context.Items[typeof(WindowState)] as WindowState;
}

/// <summary>The per-minute limiter, noting on each limited request what its lease said of the key's window.</summary>
sealed class WindowObserver(PartitionedRateLimiter<HttpContext> inner, Func<HttpContext, RateLimitLease, WindowState> read)
    : PartitionedRateLimiter<HttpContext>
{
    public override RateLimiterStatistics? GetStatistics(HttpContext resource) => inner.GetStatistics(resource);

    protected override RateLimitLease AttemptAcquireCore(HttpContext resource, int permitCount)
    {
        var lease = inner.AttemptAcquire(resource, permitCount);
        // A refusal here is not final: the middleware then asks AcquireAsync (the Redis limiters
        // refuse every attempt without a round trip), which notes the answer that counts.
        if (lease.IsAcquired) Note(resource, lease);
        return lease;
    }

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(HttpContext resource, int permitCount, CancellationToken ct)
    {
        var lease = await inner.AcquireAsync(resource, permitCount, ct);
        Note(resource, lease);
        return lease;
    }

    void Note(HttpContext context, RateLimitLease lease)
    {
        if (CurrentKey.Find(context) is { RequestsPerMinute: > 0 })
            context.Items[typeof(WindowState)] = read(context, lease);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>Where the rate limits are kept (settings, see SettingsOptions).</summary>
public sealed class RateLimitSettings
{
    /// <summary>A Redis server (StackExchange.Redis configuration string, CUSTOMMODELS_REDIS) that keeps the rate limits of all API processes; none: per process.</summary>
    public string? Redis { get; set; }

    public void Read(SettingsReader settings)
    {
        Redis = settings.Text("CUSTOMMODELS_REDIS");
        // Parsed now as well as when connecting, so that a misspelt option stops start-up instead of the first request.
        try
        {
            if (Redis is not null) ConfigurationOptions.Parse(Redis);
        }
        catch (ArgumentException e)
        {
            throw new SettingsException($"CUSTOMMODELS_REDIS is not a Redis configuration string: {e.Message}");
        }
    }
}

public static class RateLimitSetup
{
    /// <summary>Per-process limits, or shared ones through Redis when <see cref="RateLimitSettings.Redis"/> names a server.</summary>
    public static IServiceCollection AddKeyRateLimits(this IServiceCollection services)
    {
        services.AddSettings<RateLimitSettings>((limits, settings) => limits.Read(settings));
        // No connection (GetService answers null) when the limits are kept per process.
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<RateLimitSettings>>().Value.Redis is { } redis
            ? KeyRateLimits.ConnectRedis(redis) : null!);
        services.AddSingleton(sp => new KeyRateLimits(TimeProvider.System, sp.GetService<IConnectionMultiplexer>()));
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<KeyRateLimits>((options, limits) => limits.Configure(options));
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
