using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
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

namespace CustomModels.Api.Tests.Transcription;

/// <summary>A webhook received by a listener on loopback, signed with the organization's secret, retried until accepted.</summary>
public sealed class WebhookTests : IAsyncLifetime
{
    TestService service = null!;
    public async Task InitializeAsync() =>
        service = await TestService.StartAsync(DatabaseKind.Sqlite, o => o with
        {
            // The receiver is on loopback, which only an operator's allowance opens (see Tenants/WebhookTargetTests).
            Transcription = t =>
            {
                t.WebhookFirstRetry = TimeSpan.FromSeconds(1);
                t.WebhookAllowedHosts = ["127.0.0.1"];
            },
        });
    public async Task DisposeAsync() => await service.DisposeAsync();

    sealed record Received(string Body, string? Signature);

    [Fact]
    public async Task A_finished_transcription_is_posted_signed_and_retried_after_a_failure()
    {
        // The receiver answers 503 the first time, then 204.
        var received = new ConcurrentQueue<Received>();
        using var arrived = new SemaphoreSlim(0);
        // Waits for the next delivery to arrive; a liveness check, with a generous bound for a busy machine.
        async Task NextDeliveryAsync() => Assert.True(await arrived.WaitAsync(TimeSpan.FromSeconds(60)), $"no delivery arrived after {received.Count}");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var listener = builder.Build();
        listener.MapPost("/hook", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body, Encoding.UTF8);
            received.Enqueue(new Received(await reader.ReadToEndAsync(), request.Headers["X-Signature"].FirstOrDefault()));
            arrived.Release();
            return received.Count == 1 ? Results.StatusCode(503) : Results.NoContent();
        });
        await listener.StartAsync();
        var hook = listener.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hook";

        var org = await service.CreateOrganizationAsync();
        var client = org.Client();
        var wav = Path.Combine(TestAudio.Librivox, "sense_and_sensibility_01_austen_64kb-0880.wav");
        var id = (string)(await client.TranscribeAsync(wav, webhookUrl: hook))["id"]!;
        Assert.Equal("done", (string?)(await client.WaitTranscriptionAsync(id))["status"]);

        await NextDeliveryAsync(); // refused with 503
        await NextDeliveryAsync(); // retried, accepted
        Assert.Equal(2, received.Count);

        string secret;
        using (var scope = service.Services.CreateScope())
            secret = await scope.ServiceProvider.GetRequiredService<WebhookSecrets>().CurrentAsync(
                scope.ServiceProvider.GetRequiredService<AppDbContext>(), org.Organization.Id, CancellationToken.None);
        Assert.StartsWith("whsec_", secret);
        foreach (var delivery in received)
        {
            // What a receiver does: HMAC-SHA256 of the raw body under the secret, compared in constant time.
            var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(delivery.Body)));
            Assert.True(CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(delivery.Signature ?? "")),
                $"bad signature {delivery.Signature}");
            var payload = JsonNode.Parse(delivery.Body)!.AsObject();
            Assert.Equal(id, (string?)payload["id"]);
            Assert.Equal("done", (string?)payload["status"]);
            var resultUrl = (string)payload["result_url"]!;
            Assert.Equal($"{service.BaseAddress.ToString().TrimEnd('/')}{Stt}/{id}/result", resultUrl);
            Assert.NotNull((await client.ResultAsync(id))["text"]);
        }

        // Every attempt is on record, and the status shows the delivery.
        Assert.Equal("delivered", (string?)(await client.StatusAsync(id))["webhook_status"]);
        using (var scope = service.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var attempts = await db.WebhookDeliveries.Where(d => d.TranscriptionId == db.Transcriptions.Single(t => t.PublicId == id).Id)
                .OrderBy(d => d.Attempt).ToListAsync();
            Assert.Equal([503, 204], attempts.Select(a => a.StatusCode ?? 0));
            Assert.Equal([1, 2], attempts.Select(a => a.Attempt));
            Assert.All(attempts, a => Assert.Equal(hook, a.Url));
        }

        // A rotated secret signs from then on; the old one no longer verifies.
        string rotated;
        using (var scope = service.Services.CreateScope())
            rotated = await scope.ServiceProvider.GetRequiredService<WebhookSecrets>().RotateAsync(
                scope.ServiceProvider.GetRequiredService<AppDbContext>(), org.Organization.Id, CancellationToken.None);
        Assert.NotEqual(secret, rotated);
        var second = (string)(await client.TranscribeAsync(wav, webhookUrl: hook))["id"]!;
        await client.WaitTranscriptionAsync(second);
        await NextDeliveryAsync();
        Assert.Equal(3, received.Count);
        var last = received.Last();
        Assert.Equal(second, (string?)JsonNode.Parse(last.Body)!["id"]);
        Assert.Equal(WebhookSecrets.Sign(rotated, Encoding.UTF8.GetBytes(last.Body)), last.Signature);

        // The secret is derived, never stored: no column of the database holds it.
        var dump = await File.ReadAllBytesAsync(Path.Combine(service.Storage.DataDirectory, "custom-models.db"));
        Assert.DoesNotContain(rotated, Encoding.Latin1.GetString(dump));
    }
}
