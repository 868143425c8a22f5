using System.Diagnostics;
using System.Text.Json;
using CustomModels.Core.Data;
using CustomModels.Core.Jobs;
using CustomModels.Core.Models;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CustomModels.Core.Transcriptions;

/// <summary>The body POSTed to a webhook when a transcription ends.</summary>
public sealed record WebhookPayload(string Event, string Id, string Status, string? ResultUrl, string? Error, string SentAt);

/// <summary>
/// Delivers the webhooks of finished transcriptions: a POST of <see cref="WebhookPayload"/> signed
/// with the organization's secret (`X-Signature: sha256=…`). An answer other than 2xx, or none,
/// is retried after 10 s, 20 s, 40 s… (<see cref="TranscriptionOptions.WebhookFirstRetry"/>, doubling)
/// up to <see cref="TranscriptionOptions.WebhookMaxAttempts"/> attempts; every attempt is recorded in
/// webhook_deliveries. A sender takes a due delivery by moving its due time past the request's
/// timeout in one conditional update, so that senders in several processes never send it twice at once.
/// Deliveries run in parallel, at most <see cref="TranscriptionOptions.WebhookDeliveriesPerHost"/> to one
/// host (the busy hosts' deliveries are not even read), so that a slow or silent host delays only its own.
/// Connections go only where <see cref="WebhookTargets"/> allows, never through a proxy, never redirected.
/// </summary>
public sealed class WebhookSender(IServiceScopeFactory scopes, WebhookSecrets secrets, WebhookTargets targets,
    IOptions<TranscriptionOptions> settings, TimeProvider time, ILogger<WebhookSender> log) : BackgroundService
{
    readonly TranscriptionOptions options = settings.Value;
    public const string SignatureHeader = "X-Signature";

    readonly HttpClient http = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectCallback = targets.ConnectAsync,
    });
    readonly Dictionary<string, int> deliveriesPerHost = new(StringComparer.Ordinal);
    readonly SemaphoreSlim deliveryEnded = new(0);
    int deliveries;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await StartDueAsync(stoppingToken)) await deliveryEnded.WaitAsync(options.WebhookPollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                log.LogError(e, "Webhook sender loop failed; retrying");
                await Task.Delay(options.WebhookPollInterval, stoppingToken).ContinueWith(_ => { });
            }
        }
    }

    /// <summary>Takes due deliveries to hosts with room, as many as there are free places; true when any was due.</summary>
    async Task<bool> StartDueAsync(CancellationToken ct)
    {
        int free;
        string[] busyHosts;
        lock (deliveriesPerHost)
        {
            free = options.WebhookParallelDeliveries - deliveries;
            busyHosts = deliveriesPerHost.Where(h => h.Value >= options.WebhookDeliveriesPerHost).Select(h => h.Key).ToArray();
        }
        if (free <= 0) return false;

        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var now = time.GetUtcNow().UtcDateTime;
        var due = await db.Transcriptions.AsNoTracking()
            .Where(t => t.WebhookState == WebhookState.Pending && t.WebhookDueAt <= now && !busyHosts.Contains(t.WebhookHost))
            .OrderBy(t => t.WebhookDueAt).Take(free).ToListAsync(ct);
        foreach (var row in due)
        {
            var host = row.WebhookHost ?? "";
            lock (deliveriesPerHost)
                if (deliveriesPerHost.GetValueOrDefault(host) >= options.WebhookDeliveriesPerHost) continue;
            var taken = await db.Transcriptions
                .Where(t => t.Id == row.Id && t.WebhookState == WebhookState.Pending && t.WebhookDueAt == row.WebhookDueAt)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.WebhookDueAt, now + options.WebhookTimeout * 3), ct);
            if (taken == 0) continue; // another sender took it
            lock (deliveriesPerHost)
            {
                deliveriesPerHost[host] = deliveriesPerHost.GetValueOrDefault(host) + 1;
                deliveries++;
            }
            _ = DeliverInTurnAsync(row, host, ct);
        }
        return due.Count > 0;
    }

    async Task DeliverInTurnAsync(TranscriptionJob due, string host, CancellationToken ct)
    {
        try
        {
            await DeliverAsync(due, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The service is stopping; the delivery is due again once its taken time has passed.
        }
        catch (Exception e)
        {
            log.LogError(e, "Webhook of {PublicId} could not be delivered or recorded", due.PublicId);
        }
        finally
        {
            lock (deliveriesPerHost)
            {
                if (--deliveriesPerHost[host] == 0) deliveriesPerHost.Remove(host);
                deliveries--;
            }
            deliveryEnded.Release();
        }
    }

    async Task DeliverAsync(TranscriptionJob due, CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var version = await db.Organizations.Where(o => o.Id == due.OrganizationId).Select(o => o.WebhookSecretVersion).FirstAsync(ct);
        var done = due.State == JobState.Succeeded;
        var body = JsonSerializer.SerializeToUtf8Bytes(new WebhookPayload("transcription.finished", due.PublicId,
            done ? "done" : "failed", done ? due.ResultUrl : null, done ? null : due.LastError,
            ModelMapping.Timestamp(time.UtcNowToSecond())), TranscriptionResult.Json);
        var attempt = due.WebhookAttempts + 1;
        var (status, error, elapsed) = await PostAsync(due.WebhookUrl!, body, secrets.SecretFor(due.OrganizationId, version), due.PublicId, attempt, ct);

        var delivered = status is >= 200 and < 300;
        var state = delivered ? WebhookState.Delivered : attempt >= options.WebhookMaxAttempts ? WebhookState.Failed : WebhookState.Pending;
        DateTime? next = state == WebhookState.Pending ? time.GetUtcNow().UtcDateTime + options.WebhookFirstRetry * Math.Pow(2, attempt - 1) : null;
        db.WebhookDeliveries.Add(new WebhookDelivery
        {
            TranscriptionId = due.Id, Attempt = attempt, Url = due.WebhookUrl!, StatusCode = status, Error = error,
            AttemptedAt = time.UtcNowToSecond(), DurationMilliseconds = (int)elapsed.TotalMilliseconds,
        });
        await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
        // The transcription may have been deleted while its webhook was in flight: then nothing is recorded.
        var rows = await db.Transcriptions.Where(t => t.Id == due.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.WebhookState, state).SetProperty(t => t.WebhookAttempts, attempt)
                .SetProperty(t => t.WebhookDueAt, next), CancellationToken.None);
        if (rows == 1) await db.SaveChangesAsync(CancellationToken.None);
        await transaction.CommitAsync(CancellationToken.None);
        log.LogInformation("Webhook of {PublicId}, attempt {Attempt}: {Outcome}", due.PublicId, attempt, status?.ToString() ?? error);
    }

    async Task<(int? Status, string? Error, TimeSpan Elapsed)> PostAsync(string url, byte[] body, string secret, string id, int attempt, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new("application/json");
            request.Headers.Add(SignatureHeader, WebhookSecrets.Sign(secret, body));
            request.Headers.Add("X-Webhook-Id", $"{id}/{attempt}");
            request.Headers.UserAgent.ParseAdd("custom-models-webhook/1");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.WebhookTimeout);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return ((int)response.StatusCode, null, watch.Elapsed);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (null, $"no answer within {options.WebhookTimeout.TotalSeconds:0} s", watch.Elapsed);
        }
        catch (HttpRequestException e)
        {
            var reason = e.InnerException?.Message ?? e.Message;
            return (null, reason.Length > 500 ? reason[..500] : reason, watch.Elapsed);
        }
    }

    public override void Dispose()
    {
        http.Dispose();
        base.Dispose();
    }
}
