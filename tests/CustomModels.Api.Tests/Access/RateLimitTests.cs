using System.Net;
using CustomModels.Api.Tests.Infrastructure;

namespace CustomModels.Api.Tests.Access;

/// <summary>
/// The per-key limits, the same in both places they can live: in the process, or in Redis for
/// all API processes together. Limits live beside the database, not in it: one database kind is enough.
/// </summary>
public abstract class RateLimitTests(TestService service)
{
    const string Models = "/api/v3/custom_models";

    [Fact]
    public async Task Every_answer_carries_the_limit_headers_and_the_request_past_the_limit_is_429()
    {
        var client = (await service.CreateOrganizationAsync(requestsPerMinute: 5, maxConcurrent: 10)).Client();
        var start = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        for (var i = 0; i < 5; i++)
        {
            // Errors count as requests too: the 4th is a 404.
            var response = await client.GetAsync(i == 3 ? $"{Models}/424242" : Models);
            Assert.Equal("5", response.Headers.GetValues("X-RateLimit-Limit").Single());
            Assert.Equal((4 - i).ToString(), response.Headers.GetValues("X-RateLimit-Remaining").Single());
            var reset = long.Parse(response.Headers.GetValues("X-RateLimit-Reset").Single());
            Assert.InRange(reset, start, start + 62);
        }

        var refused = await client.GetAsync(Models);
        var error = await refused.AssertErrorAsync(HttpStatusCode.TooManyRequests, "RATE_LIMIT_EXCEEDED");
        Assert.Equal("Too Many Requests", (string?)error["error"]);
        var retryAfter = int.Parse(refused.Headers.GetValues("Retry-After").Single());
        Assert.InRange(retryAfter, 1, 62);
        Assert.Equal(retryAfter, (int)error["retry_after"]!);
        Assert.Equal("0", refused.Headers.GetValues("X-RateLimit-Remaining").Single());
    }

    [Fact]
    public async Task A_client_that_waits_as_long_as_Retry_After_says_is_answered()
    {
        var client = (await service.CreateOrganizationAsync(requestsPerMinute: 1)).Client();
        await (await client.GetAsync(Models)).AssertOkAsync();
        var refused = await client.GetAsync(Models);
        await refused.AssertErrorAsync(HttpStatusCode.TooManyRequests, "RATE_LIMIT_EXCEEDED");
        var reset = long.Parse(refused.Headers.GetValues("X-RateLimit-Reset").Single());

        // Following the header to the second, as a client library does: the window must be open by then.
        await Task.Delay(TimeSpan.FromSeconds(int.Parse(refused.Headers.GetValues("Retry-After").Single())));
        Assert.True(DateTimeOffset.UtcNow.ToUnixTimeSeconds() >= reset, "Retry-After ends before X-RateLimit-Reset");
        await (await client.GetAsync(Models)).AssertOkAsync();
    }

    [Fact]
    public async Task Limits_are_per_key()
    {
        var org = await service.CreateOrganizationAsync(requestsPerMinute: 2);
        var first = org.Client();
        await (await first.GetAsync(Models)).AssertOkAsync();
        await (await first.GetAsync(Models)).AssertOkAsync();
        await (await first.GetAsync(Models)).AssertErrorAsync(HttpStatusCode.TooManyRequests, "RATE_LIMIT_EXCEEDED");
        var second = service.Client(await service.CreateKeyAsync(org.Organization.Id, ["custom_models:read"], requestsPerMinute: 2));
        await (await second.GetAsync(Models)).AssertOkAsync();
    }

    [Fact]
    public async Task A_request_beyond_the_keys_in_flight_limit_is_429_and_the_slot_frees_when_it_ends()
    {
        var org = await service.CreateOrganizationAsync(requestsPerMinute: 1000, maxConcurrent: 1);
        var client = org.Client();

        using var held = await HeldRequest.StartAsync(service.BaseAddress, org.Key);
        var refused = await held.FirstRefusalAsync(client);
        await refused.AssertErrorAsync(HttpStatusCode.TooManyRequests, "RATE_LIMIT_EXCEEDED");
        Assert.Equal("1", refused.Headers.GetValues("Retry-After").Single());

        Assert.StartsWith("HTTP/1.1 201", await held.FinishAsync());
        await (await client.GetAsync(Models)).AssertOkAsync();
    }

    [Fact]
    public async Task A_key_with_limit_zero_is_unlimited()
    {
        var client = (await service.CreateOrganizationAsync(requestsPerMinute: 0, maxConcurrent: 0)).Client();
        for (var i = 0; i < 120; i++)
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(Models)).StatusCode);
    }
}

public sealed class ProcessRateLimitTests(SqliteService fixture) : RateLimitTests(fixture.Service), IClassFixture<SqliteService>;

public sealed class RedisRateLimitTests(SqliteRedisService fixture) : RateLimitTests(fixture.Service), IClassFixture<SqliteRedisService>;
