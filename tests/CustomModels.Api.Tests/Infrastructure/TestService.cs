using System.Net.Http.Headers;
using CustomModels.Api.Hosting;
using CustomModels.Core.Access;
using CustomModels.Core.Data;
using CustomModels.Core.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using CustomModels.Tests.Infrastructure;

namespace CustomModels.Api.Tests.Infrastructure;

public enum DatabaseKind { Sqlite, Postgres }

/// <summary>
/// The real service on a loopback port with a real database of its own (a SQLite file in a
/// temporary folder, or a fresh PostgreSQL database on the server `make test` starts).
/// </summary>
public sealed class TestService : IAsyncDisposable
{
    readonly WebApplication app;
    readonly ServiceOptions options;
    readonly string? postgresDatabase;
    readonly bool ownsData;

    TestService(WebApplication app, ServiceOptions options, Uri baseAddress, string? postgresDatabase, bool ownsData)
    {
        this.app = app;
        this.options = options;
        Storage = options.Storage;
        BaseAddress = baseAddress;
        this.postgresDatabase = postgresDatabase;
        this.ownsData = ownsData;
    }

    public StorageSettings Storage { get; }
    /// <summary>The PostgreSQL database of this service, when it runs on PostgreSQL.</summary>
    public string? PostgresDatabase => postgresDatabase;
    public Uri BaseAddress { get; }
    public IServiceProvider Services => app.Services;

    /// <summary>
    /// Every test service has a data folder of its own, but they share one grapheme-to-phoneme
    /// cache: the model is trained from the base dictionary once per machine, not once per test.
    /// </summary>
    static TestService() => Environment.SetEnvironmentVariable("CUSTOMMODELS_G2P_CACHE_DIR",
        Path.Combine(Path.GetTempPath(), "custom-models-g2p-cache"));

    public static async Task<TestService> StartAsync(DatabaseKind kind, Func<ServiceOptions, ServiceOptions>? configure = null)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "custom-models-tests", Guid.NewGuid().ToString("N"));
        string? connectionString = null, database = null;
        if (kind == DatabaseKind.Postgres) (database, connectionString) = await TestPostgres.CreateDatabaseAsync();
        var options = new ServiceOptions
        {
            Storage = StorageSettings.Create(dataDir, connectionString),
            Urls = "http://127.0.0.1:0",
            CreateFirstKey = false,
        };
        if (configure is not null) options = configure(options);
        return await StartAsync(options, database, ownsData: true);
    }

    static async Task<TestService> StartAsync(ServiceOptions options, string? database, bool ownsData)
    {
        var app = ServiceApp.Build(options);
        await ServiceApp.PrepareDatabaseAsync(app, options);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestService(app, options, new Uri(address), database, ownsData);
    }

    /// <summary>A second service on this one's database, data folder and options, as another API process would be; this one owns the data.</summary>
    public Task<TestService> StartAnotherAsync(Func<ServiceOptions, ServiceOptions>? configure = null) =>
        StartAsync(configure is null ? options : configure(options), postgresDatabase, ownsData: false);

    /// <summary>The Redis server of the shared-rate-limit tests (`make test` starts one with scripts/test-redis.sh).</summary>
    public static string RedisConfiguration() =>
        Environment.GetEnvironmentVariable("CUSTOMMODELS_TEST_REDIS") is { Length: > 0 } redis
            ? redis
            : throw new InvalidOperationException(
                "CUSTOMMODELS_TEST_REDIS is not set: run the tests with `make test`, which starts a throw-away Redis " +
                "(or export CUSTOMMODELS_TEST_REDIS=\"$(scripts/test-redis.sh start)\")");

    /// <summary>A new organization with a key of the given scopes (all by default): each test owns its data.</summary>
    public async Task<TestOrganization> CreateOrganizationAsync(string[]? scopes = null, int requestsPerMinute = 0, int maxConcurrent = 0)
    {
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var org = await Organizations.CreateAsync(db, "org-" + Guid.NewGuid().ToString("N"));
        var key = await ApiKeys.CreateKeyAsync(db, org.Id, scopes ?? Scopes.All, requestsPerMinute, maxConcurrent);
        return new TestOrganization(this, org, key.Key, key.Row.Id);
    }

    public async Task<string> CreateKeyAsync(long organizationId, string[] scopes, int requestsPerMinute = 0, int maxConcurrent = 0)
    {
        using var scope = app.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        return (await ApiKeys.CreateKeyAsync(db, organizationId, scopes, requestsPerMinute, maxConcurrent)).Key;
    }

    public async Task RevokeAsync(string key)
    {
        using var scope = app.Services.CreateScope();
        await ApiKeys.RevokeAsync(scope.ServiceProvider.GetRequiredService<AppDbContext>(), key);
    }

    public HttpClient Client(string? key)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        if (!ownsData) return;
        if (postgresDatabase is not null) await TestPostgres.DropDatabaseAsync(postgresDatabase);
        try { Directory.Delete(Storage.DataDirectory, recursive: true); } catch (IOException) { }
    }
}

public sealed record TestOrganization(TestService Service, Organization Organization, string Key, long KeyId)
{
    public HttpClient Client() => Service.Client(Key);
}

/// <summary>One service per test class, on SQLite.</summary>
public sealed class SqliteService : IAsyncLifetime
{
    public TestService Service { get; private set; } = null!;
    public async Task InitializeAsync() => Service = await TestService.StartAsync(DatabaseKind.Sqlite);
    public async Task DisposeAsync() => await Service.DisposeAsync();
}

/// <summary>One service per test class, on SQLite, with its rate limits in the test Redis.</summary>
public sealed class SqliteRedisService : IAsyncLifetime
{
    public TestService Service { get; private set; } = null!;
    public async Task InitializeAsync() =>
        Service = await TestService.StartAsync(DatabaseKind.Sqlite, o => o with { Redis = TestService.RedisConfiguration() });
    public async Task DisposeAsync() => await Service.DisposeAsync();
}

/// <summary>One service per test class, on PostgreSQL.</summary>
public sealed class PostgresService : IAsyncLifetime
{
    public TestService Service { get; private set; } = null!;
    public async Task InitializeAsync() => Service = await TestService.StartAsync(DatabaseKind.Postgres);
    public async Task DisposeAsync() => await Service.DisposeAsync();
}
