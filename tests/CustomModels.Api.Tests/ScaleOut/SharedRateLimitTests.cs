using System.Diagnostics;
using System.Net;
using CustomModels.Api.Tests.Infrastructure;

namespace CustomModels.Api.Tests.ScaleOut;

/// <summary>Rate limits in Redis: two API services count each key together; while Redis is away, limited requests are 503.</summary>
public sealed class SharedRateLimitTests
{
    const string Models = "/api/v3/custom_models";

    [Fact]
    public async Task Two_services_on_one_Redis_count_each_keys_requests_together()
    {
        await using var first = await TestService.StartAsync(DatabaseKind.Sqlite, o => o with { Redis = TestService.RedisConfiguration() });
        await using var second = await first.StartAnotherAsync();
        var org = await first.CreateOrganizationAsync(requestsPerMinute: 4, maxConcurrent: 0);
        var clients = new[] { first.Client(org.Key), second.Client(org.Key) };

        var resets = new HashSet<string>();
        for (var i = 0; i < 4; i++)
        {
            var response = await clients[i % 2].GetAsync(Models);
            await response.AssertOkAsync();
            Assert.Equal("4", response.Headers.GetValues("X-RateLimit-Limit").Single());
            Assert.Equal((3 - i).ToString(), response.Headers.GetValues("X-RateLimit-Remaining").Single());
            resets.Add(response.Headers.GetValues("X-RateLimit-Reset").Single());
        }
        // One window for both services: the same end, within the coming minute.
        var reset = long.Parse(Assert.Single(resets));
        Assert.InRange(reset, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 62);

        foreach (var client in clients)
        {
            var refused = await client.GetAsync(Models);
            var error = await refused.AssertErrorAsync(HttpStatusCode.TooManyRequests, "RATE_LIMIT_EXCEEDED");
            Assert.Equal("0", refused.Headers.GetValues("X-RateLimit-Remaining").Single());
            Assert.Equal(reset.ToString(), refused.Headers.GetValues("X-RateLimit-Reset").Single());
            Assert.InRange((int)error["retry_after"]!, 1, 62);
        }
    }

    [Fact]
    public async Task A_request_in_flight_on_one_service_takes_the_keys_only_slot_on_the_other()
    {
        await using var first = await TestService.StartAsync(DatabaseKind.Sqlite, o => o with { Redis = TestService.RedisConfiguration() });
        await using var second = await first.StartAnotherAsync();
        var org = await first.CreateOrganizationAsync(requestsPerMinute: 1000, maxConcurrent: 1);
        var other = second.Client(org.Key);

        // A create to the first service whose body stops half-way holds the key's slot; the second service then refuses.
        using var held = await HeldRequest.StartAsync(first.BaseAddress, org.Key);
        var refused = await held.FirstRefusalAsync(other);
        var error = await refused.AssertErrorAsync(HttpStatusCode.TooManyRequests, "RATE_LIMIT_EXCEEDED");
        Assert.Contains("in flight", (string?)error["message"]);
        Assert.Equal("1", refused.Headers.GetValues("Retry-After").Single());
        // The window was read, not spent, for the refused request's headers.
        var remaining = int.Parse(refused.Headers.GetValues("X-RateLimit-Remaining").Single());
        Assert.InRange(remaining, 1, 1000);

        Assert.StartsWith("HTTP/1.1 201", await held.FinishAsync());
        var afterwards = await PollUntilAsync(() => other.GetAsync(Models), r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(5));
        Assert.InRange(int.Parse(afterwards.Headers.GetValues("X-RateLimit-Remaining").Single()), 0, remaining - 1);
    }

    [Fact]
    public async Task While_Redis_is_away_limited_requests_are_503_and_the_service_recovers_when_it_returns()
    {
        var port = ServiceProcess.FreePort();
        await using var service = await TestService.StartAsync(DatabaseKind.Sqlite, o => o with { Redis = $"127.0.0.1:{port}" });
        var limited = (await service.CreateOrganizationAsync(requestsPerMinute: 50, maxConcurrent: 5)).Client();
        var unlimited = (await service.CreateOrganizationAsync(requestsPerMinute: 0, maxConcurrent: 0)).Client();

        var refused = await limited.GetAsync(Models);
        await refused.AssertErrorAsync(HttpStatusCode.ServiceUnavailable, "RATE_LIMIT_STORE_UNAVAILABLE");
        Assert.Equal("5", refused.Headers.GetValues("Retry-After").Single());
        Assert.False(refused.Headers.Contains("X-RateLimit-Remaining"));
        await (await limited.PostAsync(Models, Http.Json("""{"name":"kept out","language":"en"}""")))
            .AssertErrorAsync(HttpStatusCode.ServiceUnavailable, "RATE_LIMIT_STORE_UNAVAILABLE");
        // A key without limits needs no counters.
        await (await unlimited.GetAsync(Models)).AssertOkAsync();
        await (await service.Client(null).GetAsync("/readyz")).AssertErrorAsync(HttpStatusCode.ServiceUnavailable, "RATE_LIMIT_STORE_UNAVAILABLE");

        using var redis = StartRedis(port);
        var back = await PollUntilAsync(() => limited.GetAsync(Models), r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(60));
        // Refused requests counted nothing: the first answered one is the window's first.
        Assert.Equal("49", back.Headers.GetValues("X-RateLimit-Remaining").Single());
        var list = await back.AssertOkAsync();
        Assert.Equal(0, (int)list["total_results"]!); // the refused create made nothing
        await (await service.Client(null).GetAsync("/readyz")).AssertOkAsync();
    }

    static async Task<HttpResponseMessage> PollUntilAsync(Func<Task<HttpResponseMessage>> send, Func<HttpResponseMessage, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var response = await send();
            if (done(response)) return response;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"still {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            await Task.Delay(250);
        }
    }

    /// <summary>A Redis server of this test's own on loopback, without persistence; disposing it kills it.</summary>
    static ProcessGuard StartRedis(int port)
    {
        var start = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--bind", "127.0.0.1", "--port", port.ToString(), "--save", "", "--appendonly", "no" })
            start.ArgumentList.Add(a);
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ProcessGuard(process);
    }

    sealed class ProcessGuard(Process process) : IDisposable
    {
        public void Dispose()
        {
            if (!process.HasExited) process.Kill();
            process.WaitForExit();
            process.Dispose();
        }
    }
}
