using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using CustomModels.Api.Tests.Infrastructure;
using CustomModels.Core.Data;
using CustomModels.Core.Transcriptions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static CustomModels.Api.Tests.Infrastructure.TranscriptionClient;

namespace CustomModels.Api.Tests.Tenants;

/// <summary>
/// A tenant's webhook cannot reach inside the operator's network: a literal address that is not
/// public is refused at submission, a name that resolves to one is refused at delivery without a
/// connection, and only a host the operator allowed is reached. Every listener here is on loopback.
/// </summary>
public sealed class WebhookTargetTests : IAsyncLifetime
{
    readonly ConcurrentQueue<string> received = new();
    WebApplication listener = null!;
    int port;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        listener = builder.Build();
        listener.Map("/{**path}", (HttpRequest request) =>
        {
            received.Enqueue(request.Method + " " + request.Path);
            return Results.NoContent();
        });
        await listener.StartAsync();
        port = new Uri(listener.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
    }

    public async Task DisposeAsync() => await listener.DisposeAsync();

    [Theory]
    [InlineData("127.0.0.1"), InlineData("127.0.0.2"), InlineData("0.0.0.0"), InlineData("10.1.2.3"), InlineData("172.16.0.1"),
     InlineData("172.31.255.255"), InlineData("192.168.1.1"), InlineData("169.254.169.254"), InlineData("100.64.0.1"),
     InlineData("100.127.255.254"), InlineData("224.0.0.1"), InlineData("240.0.0.1"), InlineData("255.255.255.255"),
     InlineData("192.0.2.1"), InlineData("198.18.0.1"), InlineData("::"), InlineData("::1"), InlineData("::ffff:127.0.0.1"),
     InlineData("::ffff:10.0.0.1"), InlineData("::ffff:169.254.169.254"), InlineData("fe80::1"), InlineData("fc00::1"),
     InlineData("fd12:3456::1"), InlineData("ff02::1"), InlineData("64:ff9b::7f00:1"), InlineData("2001:db8::1"),
     InlineData("2002:7f00:1::1"), InlineData("2001:0:7f00:1::1"), InlineData("::127.0.0.1")]
    public void An_address_outside_the_public_internet_is_not_public(string address) =>
        Assert.False(WebhookTargets.IsPublic(IPAddress.Parse(address)));

    [Theory]
    [InlineData("8.8.8.8"), InlineData("1.1.1.1"), InlineData("100.63.255.255"), InlineData("100.128.0.0"), InlineData("172.15.255.255"),
     InlineData("172.32.0.0"), InlineData("11.0.0.1"), InlineData("::ffff:8.8.8.8"), InlineData("2606:4700:4700::1111"), InlineData("2a00:1450::1")]
    public void A_public_address_is_public(string address) =>
        Assert.True(WebhookTargets.IsPublic(IPAddress.Parse(address)));

    [Fact]
    public async Task Every_literal_spelling_of_an_inside_address_is_refused_at_submission_and_nothing_is_kept()
    {
        await using var service = await TestService.StartAsync(DatabaseKind.Sqlite);
        var client = (await service.CreateOrganizationAsync()).Client();
        var wav = Path.Combine(TestAudio.Librivox, "sense_and_sensibility_01_austen_64kb-0880.wav");
        string[] hosts =
        [
            "127.0.0.1", "2130706433", "0x7f000001", "0x7f.1", "127.1", "0177.0.0.1", "017700000001", "127.0.0.1.", "0", "0.0.0.0",
            "[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[0:0:0:0:0:ffff:127.0.0.1]", "[::]",
            "169.254.169.254", "10.0.0.1", "192.168.0.1", "100.64.0.1", "[fd00::1]", "[fe80::1]",
        ];
        foreach (var host in hosts)
        {
            var url = $"http://{host}:{port}/hook";
            var response = await client.PostAsync(Stt, Form(wav, webhookUrl: url));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{url}: {(int)response.StatusCode} {body}");
            Assert.NotNull(JsonNode.Parse(body)!["details"]!["webhook_url"]);
        }
        using (var scope = service.Services.CreateScope())
            Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<AppDbContext>().Transcriptions.CountAsync());
        Assert.Empty(DataFolder.Files(service.Storage.DataDirectory).Keys);
        Assert.Empty(received);
    }

    [Fact]
    public async Task A_name_that_resolves_to_loopback_is_refused_at_delivery_without_a_connection_unless_the_operator_allowed_it()
    {
        await using var service = await TestService.StartAsync(DatabaseKind.Sqlite,
            o => o with { Transcription = t => t.WebhookMaxAttempts = 1 });
        var client = (await service.CreateOrganizationAsync()).Client();
        var wav = Path.Combine(TestAudio.Librivox, "sense_and_sensibility_01_austen_64kb-0880.wav");
        var id = (string)(await client.TranscribeAsync(wav, webhookUrl: $"http://localhost:{port}/refused"))["id"]!;
        await client.WaitTranscriptionAsync(id);
        var status = await WaitForWebhookAsync(client, id);
        Assert.Equal("failed", (string?)status["webhook_status"]);
        using (var scope = service.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var attempt = await db.WebhookDeliveries.SingleAsync(d => d.TranscriptionId == db.Transcriptions.Single(t => t.PublicId == id).Id);
            Assert.Null(attempt.StatusCode);
            Assert.Contains("address not allowed", attempt.Error);
        }
        Assert.Empty(received);

        // The same listener by the same name, once the operator allows the name: it is reached (so the refusal above was the guard's).
        var allowed = new WebhookTargets(["LOCALHOST."]);
        using var http = new HttpClient(new System.Net.Http.SocketsHttpHandler { UseProxy = false, ConnectCallback = allowed.ConnectAsync });
        Assert.Equal(HttpStatusCode.NoContent, (await http.PostAsync($"http://localhost:{port}/allowed", null)).StatusCode);
        Assert.Equal(["POST /allowed"], received);

        // Not allowed: the connection is refused before it is made, whatever the name's spelling.
        var guarded = new WebhookTargets([]);
        using var refused = new HttpClient(new System.Net.Http.SocketsHttpHandler { UseProxy = false, ConnectCallback = guarded.ConnectAsync });
        foreach (var url in new[] { $"http://localhost:{port}/x", $"http://LocalHost:{port}/x", $"http://127.0.0.1:{port}/x", $"http://[::ffff:127.0.0.1]:{port}/x" })
        {
            var error = await Assert.ThrowsAsync<HttpRequestException>(() => refused.PostAsync(url, null));
            Assert.IsType<WebhookAddressRefused>(error.InnerException);
        }
        Assert.Single(received);
    }

    static async Task<JsonObject> WaitForWebhookAsync(HttpClient client, string id)
    {
        for (var i = 0; i < 300; i++)
        {
            var status = await client.StatusAsync(id);
            if ((string?)status["webhook_status"] is "delivered" or "failed") return status;
            await Task.Delay(100);
        }
        throw new TimeoutException($"the webhook of {id} was never attempted");
    }
}
