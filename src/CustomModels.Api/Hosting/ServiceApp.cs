using CustomModels.Api.Auth;
using CustomModels.Api.Dashboard;
using CustomModels.Api.Errors;
using CustomModels.Api.Models;
using CustomModels.Api.RateLimits;
using CustomModels.Core;
using CustomModels.Core.Access;
using CustomModels.Core.Data;
using CustomModels.Core.Models;
using CustomModels.Core.Storage;
using CustomModels.Core.Training;
using CustomModels.Api.Training;
using CustomModels.Api.Transcription;
using CustomModels.Api.Versions;
using CustomModels.Core.Transcriptions;
using Microsoft.EntityFrameworkCore;
using Scalar.AspNetCore;

namespace CustomModels.Api.Hosting;

/// <summary>What `serve` is started with; tests start the same service with their own.</summary>
public sealed record ServiceOptions
{
    public required StorageSettings Storage { get; init; }
    public string Urls { get; init; } = "http://127.0.0.1:8080";
    /// <summary>On an empty database, create a first organization and an all-scopes key and print the key once.</summary>
    public bool CreateFirstKey { get; init; } = true;
    public TextWriter Output { get; init; } = Console.Out;
    /// <summary>Maps the benchmark's peer endpoint (see bench/list); off unless asked for.</summary>
    public bool BenchmarkEndpoint { get; init; }
    /// <summary>Run the training and transcription workers in this process (`serve --no-worker` turns them off).</summary>
    public bool RunWorker { get; init; } = true;
    /// <summary>Changes to the settings read from the configuration (tests set their own figures); none in `serve`.</summary>
    public Action<UploadLimits>? Uploads { get; init; }
    public Action<TrainingWorkerOptions>? Worker { get; init; }
    public Action<TranscriptionOptions>? Transcription { get; init; }
    /// <summary>A Redis server to keep the rate limits in (see <see cref="RateLimitSettings"/>) instead of CUSTOMMODELS_REDIS's; tests set their own.</summary>
    public string? Redis { get; init; }
    /// <summary>How long a client may take to send its request headers (Kestrel's default is 30 s).</summary>
    public TimeSpan RequestHeadersTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>The clock of everything the service dates and waits for; a test moves a fake one instead of sleeping.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>The HTTP service, assembled: one line per concern.</summary>
public static class ServiceApp
{
    public static WebApplication Build(ServiceOptions options, string[]? args = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args ?? []);
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = 10 * 1024 * 1024; // JSON bodies; uploads raise it per endpoint
            // Slow clients must not hold connections open for long (slowloris): every client's headers
            // arrive within seconds, so a third of Kestrel's 30 s default is plenty; a body must keep
            // coming at 240 bytes/s after a 5 s grace (Kestrel's default, kept explicit because uploads
            // lift the size cap and lean on it); 32 KB of headers at most (431 beyond).
            k.Limits.RequestHeadersTimeout = options.RequestHeadersTimeout;
            k.Limits.MinRequestBodyDataRate = new Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(5));
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
        });
        // Defaults beneath every other configuration source, so that appsettings or the environment
        // (Logging__LogLevel__Microsoft.AspNetCore=Information) can turn them up. ASP.NET Core's
        // own per-request lines (four for each request at Information) go to the console only from
        // Warning on, as in ASP.NET Core's templates: at thousands of requests a second, writing
        // them cost the API a tenth of its time.
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
        {
            InitialData =
            [
                new("Logging:LogLevel:Default", "Information"),
                new("Logging:LogLevel:Microsoft.AspNetCore", "Warning"),
                new("Logging:LogLevel:Microsoft.EntityFrameworkCore", "Warning"),
                new("Logging:LogLevel:Microsoft.AspNetCore.DataProtection", "Error"),
            ],
        });

        builder.Services.AddSingleton(options.Time);
        builder.Services.AddAppDatabase(options.Storage);
        builder.Services.AddCore().AddTraining().AddTranscription();
        if (options.RunWorker) builder.Services.AddTrainingWorker().AddTranscriptionWorker();
        builder.Services.AddSettings<UploadLimits>((uploads, settings) => uploads.Read(settings));
        if (options.Uploads is { } uploads) builder.Services.PostConfigure(uploads);
        if (options.Worker is { } worker) builder.Services.PostConfigure(worker);
        if (options.Transcription is { } transcription) builder.Services.PostConfigure(transcription);
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Api);
            o.SerializerOptions.TypeInfoResolverChain.Insert(1, ModelJson.Context);
            o.SerializerOptions.PropertyNamingPolicy = ApiJsonContext.Api.Options.PropertyNamingPolicy;
            o.SerializerOptions.Encoder = ApiJsonContext.Api.Options.Encoder;
        });
        builder.Services.AddApiKeyAuth();
        builder.Services.AddKeyRateLimits();
        if (options.Redis is { } redis) builder.Services.PostConfigure<RateLimitSettings>(limits => limits.Redis = redis);
        builder.Services.AddApiDocument();

        var app = builder.Build();
        app.Services.CheckSettings(); // now, so that a bad setting stops start-up before anything is created
        app.UseApiErrors();
        app.UseTrailingSlashTolerance();
        app.UseRouting();
        app.UseAuthentication();
        app.UseKeyRateLimits();
        app.UseAuthorization();

        app.MapHealth();
        app.MapOpenApi().AllowAnonymous(); // /openapi/v1.json
        app.MapScalarApiReference(o => o.WithTitle("Custom Models API")).AllowAnonymous(); // /scalar
        app.MapDashboard(); // /, /dashboard/*
        app.MapKeyInfo();
        app.MapCustomModels();
        app.MapTrainingData();
        app.MapTraining();
        app.MapVersions();
        app.MapTranscription();
        if (options.BenchmarkEndpoint) app.MapBenchmarkPeer();
        return app;
    }

    /// <summary>Brings the schema up to date and, on an empty database, creates the first key.</summary>
    public static async Task PrepareDatabaseAsync(WebApplication app, ServiceOptions options)
    {
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        await Database.MigrateAsync(db, options.Storage);
        if (!options.CreateFirstKey) return;
        // API processes starting together on an empty database: one creates the key, the others find it.
        await Database.OneAtATimeAsync(db, async () =>
        {
            if (await db.Organizations.AnyAsync()) return;
            var org = await Organizations.CreateAsync(db, "default");
            var key = await ApiKeys.CreateKeyAsync(db, org.Id, Scopes.All);
            options.Output.WriteLine($"Created organization 'default' (id {org.Id}) and an API key with all scopes.");
            options.Output.WriteLine("It is shown this once; keep it:");
            options.Output.WriteLine(key.Key);
        });
    }

    /// <summary>Older clients send `/custom_models/123/`: under /api that is the same resource as without the slash.</summary>
    static void UseTrailingSlashTolerance(this WebApplication app) => app.Use((context, next) =>
    {
        var path = context.Request.Path.Value;
        if (path is { Length: > 5 } && path[^1] == '/' && path.StartsWith("/api/", StringComparison.Ordinal))
            context.Request.Path = new PathString(path.TrimEnd('/'));
        return next(context);
    });
}

public sealed record HealthResponse(string Status);

/// <summary>
/// The list benchmark's peer: an endpoint behind the same authentication and rate limiting that
/// answers pre-serialized bytes of a given size, so the list's own cost (query + serialization)
/// shows as the difference between the two.
/// </summary>
public static class BenchmarkPeer
{
    static readonly System.Collections.Concurrent.ConcurrentDictionary<int, byte[]> Bodies = new();

    public static void MapBenchmarkPeer(this WebApplication app) =>
        app.MapGet("/api/v3/bench/bytes/{size:int:range(2,10000000)}", (int size) =>
            TypedResults.Bytes(Bodies.GetOrAdd(size, n => System.Text.Encoding.ASCII.GetBytes("[" + new string(' ', n - 2) + "]")), "application/json"))
            .RequireAuthorization(Scopes.ModelsRead).ExcludeFromDescription();
}

public static class HealthApi
{
    public static void MapHealth(this WebApplication app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new HealthResponse("ok"))).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/readyz", async Task<IResult> (AppDbContext db, IServiceProvider services, CancellationToken ct) =>
        {
            // With shared rate limits, a limited request cannot be answered while Redis is away.
            if (services.GetService<StackExchange.Redis.IConnectionMultiplexer>() is { IsConnected: false })
                return new ApiError(StatusCodes.Status503ServiceUnavailable, "The rate-limit store (Redis) is not reachable", "RATE_LIMIT_STORE_UNAVAILABLE");
            try
            {
                if (await db.Database.CanConnectAsync(ct)) return TypedResults.Ok(new HealthResponse("ready"));
            }
            catch (Exception) { }
            return new ApiError(StatusCodes.Status503ServiceUnavailable, "Database is not reachable", "DATABASE_UNAVAILABLE");
        }).AllowAnonymous().ExcludeFromDescription();
    }
}
