using System.Net;
using System.Net.Sockets;
using System.Text;
using CustomModels.Api.Tests.Infrastructure;

namespace CustomModels.Api.Tests.Hostile;

/// <summary>The service with a short header timeout, so that a test of it takes seconds.</summary>
public sealed class ShortHeaderTimeoutService : IAsyncLifetime
{
    /// <summary>Long enough that a normal request is answered before the slow clients are cut off, even on a loaded machine.</summary>
    public static readonly TimeSpan HeadersTimeout = TimeSpan.FromSeconds(5);
    public TestService Service { get; private set; } = null!;
    public async Task InitializeAsync() =>
        Service = await TestService.StartAsync(DatabaseKind.Sqlite, o => o with { RequestHeadersTimeout = HeadersTimeout });
    public async Task DisposeAsync() => await Service.DisposeAsync();
}

/// <summary>Oversized headers and slow clients are cut off by Kestrel's limits, without a 5xx and without holding up anyone else.</summary>
public sealed class SlowAndOversizedClientTests(ShortHeaderTimeoutService fixture) : IClassFixture<ShortHeaderTimeoutService>
{
    readonly TestService service = fixture.Service;

    [Fact]
    public async Task A_100_KB_header_is_refused_with_431_and_the_service_keeps_answering()
    {
        var org = await service.CreateOrganizationAsync();
        var request = new RawRequest("GET", HostileGen.ModelsPath,
            [("Host", service.BaseAddress.Authority), ("Authorization", "Bearer " + org.Key), ("X-Padding", new string('p', 100 * 1024))], []);
        var response = await RawHttp.SendAsync(service.BaseAddress, request);
        Assert.Equal(431, response!.Status);
        Contract.AssertHonours(request, response, service.Storage.DataDirectory);

        await (await org.Client().GetAsync(HostileGen.ModelsPath)).AssertOkAsync();
    }

    [Fact]
    public async Task A_client_sending_its_headers_byte_by_byte_is_cut_off_and_others_are_served_meanwhile()
    {
        var org = await service.CreateOrganizationAsync();
        var client = org.Client();
        var head = Encoding.ASCII.GetBytes($"GET {HostileGen.ModelsPath} HTTP/1.1\r\nHost: {service.BaseAddress.Authority}\r\nAuthorization: Bearer {org.Key}\r\nX-Slow: " + new string('s', 1000));
        var slow = Enumerable.Range(0, 20).Select(_ => TrickleAsync(head, TimeSpan.FromMilliseconds(200))).ToList();

        // While twenty clients trickle, everyone else is answered: the first answer comes while they
        // are still connected (they would need minutes to finish), and the rest follow.
        await (await client.GetAsync(HostileGen.ModelsPath)).AssertOkAsync();
        Assert.True(slow.Any(t => !t.IsCompleted), "a normal request was answered only after every slow client had been cut off");
        for (var i = 0; i < 9; i++)
        {
            await (await client.GetAsync(HostileGen.ModelsPath)).AssertOkAsync();
            await Task.Delay(100);
        }

        // Each slow client is cut off by the header timeout before it has sent its headers: an
        // answer of 408 (or 400), or the connection closed. TrickleAsync gives up after 60 s.
        foreach (var (answer, sent) in await Task.WhenAll(slow))
        {
            Assert.True(sent < head.Length, $"a slow client sent its whole head ({sent} bytes) without being cut off");
            Assert.True(answer is null or { Status: 408 or 400 }, $"a slow client got {answer?.Status}: {answer?.Body}");
        }
    }

    [Theory]
    [InlineData("POST", "", "application/json")]
    [InlineData("PUT", "/{id}/data", "multipart/form-data; boundary=xyzzy")]
    public async Task A_client_that_stops_mid_body_is_answered_408_in_the_error_shape(string method, string path, string contentType)
    {
        var org = await service.CreateOrganizationAsync();
        var id = (long)(await org.Client().CreateModelAsync())["id"]!;
        var request = new RawRequest(method, HostileGen.ModelsPath + path.Replace("{id}", id.ToString()),
            [("Host", service.BaseAddress.Authority), ("Authorization", "Bearer " + org.Key), ("Content-Type", contentType)],
            Encoding.ASCII.GetBytes(contentType.StartsWith("multipart") ? "--xyzzy\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\ntr" : "{\"name\":"))
        { DeclaredLength = 100_000 };

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(service.BaseAddress.Host, service.BaseAddress.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(request.Head());
        await stream.WriteAsync(request.Body);
        // ...and then nothing more, with the connection left open: Kestrel's minimum body rate ends the wait.
        var answer = new MemoryStream();
        // The bound: an answer within 20 s (Kestrel's grace is 5 s). Tests do not time things more
        // finely than that: on a loaded two-core machine Kestrel's rate check runs late.
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var buffer = new byte[8192];
        int read;
        while ((read = await stream.ReadAsync(buffer, giveUp.Token)) > 0) answer.Write(buffer, 0, read);
        var response = RawHttp.Parse(answer.ToArray());

        Assert.Equal(408, response.Status);
        Contract.AssertHonours(request, response, service.Storage.DataDirectory);
        Assert.Empty(DataFolder.TempFiles(service.Storage.DataDirectory));
    }

    /// <summary>
    /// Sends the bytes one at a time until the server answers or closes; returns its answer (null
    /// if it just closed) and how many bytes were sent by then.
    /// </summary>
    async Task<(RawResponse? Answer, int Sent)> TrickleAsync(byte[] bytes, TimeSpan pause)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(service.BaseAddress.Host, service.BaseAddress.Port);
        var stream = tcp.GetStream();
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var sent = 0;
        try
        {
            foreach (var b in bytes)
            {
                await stream.WriteAsync(new[] { b }, giveUp.Token);
                sent++;
                await Task.Delay(pause, giveUp.Token);
                if (tcp.Client.Poll(0, SelectMode.SelectRead)) break; // the server answered or closed
            }
            var answer = new MemoryStream();
            var buffer = new byte[8192];
            int read;
            while ((read = await stream.ReadAsync(buffer, giveUp.Token)) > 0) answer.Write(buffer, 0, read);
            return (answer.Length == 0 ? null : RawHttp.Parse(answer.ToArray()), sent);
        }
        catch (IOException)
        {
            return (null, sent); // reset by the server
        }
    }
}
