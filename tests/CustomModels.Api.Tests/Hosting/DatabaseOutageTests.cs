using CustomModels.Tests.Infrastructure;
using System.Net;
using CustomModels.Api.Tests.Infrastructure;
using Npgsql;

namespace CustomModels.Api.Tests.Hosting;

/// <summary>PostgreSQL refusing connections for a while: 503 in the error shape, then recovery without a restart.</summary>
public sealed class DatabaseOutageTests(PostgresService fixture) : IClassFixture<PostgresService>
{
    readonly TestService service = fixture.Service;

    async Task AdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(TestPostgres.AdminConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task While_the_database_refuses_connections_requests_are_503_and_afterwards_they_succeed()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var model = await client.CreateModelAsync(name: "before the outage");
        var database = service.PostgresDatabase!;

        await AdminAsync($"ALTER DATABASE {database} ALLOW_CONNECTIONS false");
        try
        {
            await AdminAsync($"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'");
            for (var i = 0; i < 3; i++)
            {
                var response = await client.GetAsync($"/api/v3/custom_models/{model["id"]}");
                await response.AssertErrorAsync(HttpStatusCode.ServiceUnavailable, "DATABASE_UNAVAILABLE");
                Assert.NotNull(response.Headers.RetryAfter);
            }
        }
        finally
        {
            await AdminAsync($"ALTER DATABASE {database} ALLOW_CONNECTIONS true");
        }

        // Pooled connections were broken by the outage; the service recovers on its own.
        HttpResponseMessage? ok = null;
        for (var i = 0; i < 20 && ok?.StatusCode != HttpStatusCode.OK; i++)
        {
            ok = await client.GetAsync($"/api/v3/custom_models/{model["id"]}");
            if (ok.StatusCode != HttpStatusCode.OK) await Task.Delay(250);
        }
        var body = await ok!.AssertOkAsync();
        Assert.Equal("before the outage", (string?)body["name"]);
        await client.CreateModelAsync(name: "after the outage");
    }
}
