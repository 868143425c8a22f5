using CustomModels.Tests.Infrastructure;
using System.Net;
using CustomModels.Api.Tests.Infrastructure;
using Npgsql;

namespace CustomModels.Api.Tests.Hosting;

/// <summary>
/// On PostgreSQL the reads every request makes (the key lookup, the list page) run on a pool of
/// their own that never holds more connections than StorageSettings.ReadConnections, however many
/// requests arrive at once; the requests beyond it wait their turn and are answered.
/// </summary>
public sealed class ReadConnectionsTests
{
    [Fact]
    public async Task Many_requests_at_once_are_all_answered_over_no_more_read_connections_than_the_setting()
    {
        await using var service = await TestService.StartAsync(DatabaseKind.Postgres,
            o => o with { Storage = o.Storage with { ReadConnections = 2 }, RunWorker = false });
        var client = (await service.CreateOrganizationAsync()).Client();
        for (var i = 0; i < 3; i++) await client.CreateModelAsync(name: $"model {i}");

        for (var round = 0; round < 3; round++)
        {
            var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => client.GetAsync("/api/v3/custom_models?per_page=100")));
            foreach (var response in responses)
                Assert.Equal(3, (int)(await response.AssertOkAsync())["total_results"]!);
        }

        await using var connection = new NpgsqlConnection(TestPostgres.AdminConnectionString());
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = @database AND application_name = 'custom-models reads'", connection);
        count.Parameters.AddWithValue("database", service.PostgresDatabase!);
        Assert.InRange((long)(await count.ExecuteScalarAsync())!, 1, 2);
    }
}
