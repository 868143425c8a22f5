using System.Diagnostics;
using System.Text.Json;
using CustomModels.Core.Data;
using CustomModels.Core.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

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
/// </summary>
public sealed class WebhookSender(IServiceScopeFactory scopes, WebhookSecrets secrets, TranscriptionOptions options,
    ILogger<WebhookSender> log) : BackgroundService
{
    public const string SignatureHeader = "X-Signature";
    static readonly HttpClient Http = new(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await SendOneDueAsync(stoppingToken)) await Task.Delay(options.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                log.LogError(e, "Webhook sender loop failed; retrying");
                await Task.Delay(options.PollInterval, stoppingToken).ContinueWith(_ => { });
            }
        }
    }

    async Task<bool> SendOneDueAsync(CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var now = DateTime.UtcNow;
        var due = await db.Transcriptions.AsNoTracking()
            .Where(t => t.WebhookState == WebhookState.Pending && t.WebhookDueAt <= now)
            .OrderBy(t => t.WebhookDueAt).FirstOrDefaultAsync(ct);
        if (due is null) return false;
        var taken = await db.Transcriptions
            .Where(t => t.Id == due.Id && t.WebhookState == WebhookState.Pending && t.WebhookDueAt == due.WebhookDueAt)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.WebhookDueAt, now + options.WebhookTimeout * 3), ct);
        if (taken == 0) return true; // another sender took it

        var version = await db.Organizations.Where(o => o.Id == due.OrganizationId).Select(o => o.WebhookSecretVersion).FirstAsync(ct);
        var done = due.State == JobState.Succeeded;
        var body = JsonSerializer.SerializeToUtf8Bytes(new WebhookPayload("transcription.finished", due.PublicId,
            done ? "done" : "failed", done ? due.ResultUrl : null, done ? null : due.LastError,
            Clock.UtcNow().ToString("yyyy-MM-ddTHH:mm:ssZ")), TranscriptionResult.Json);
        var attempt = due.WebhookAttempts + 1;
        var (status, error, elapsed) = await PostAsync(due.WebhookUrl!, body, secrets.SecretFor(due.OrganizationId, version), due.PublicId, attempt, ct);

        var delivered = status is >= 200 and < 300;
        var state = delivered ? WebhookState.Delivered : attempt >= options.WebhookMaxAttempts ? WebhookState.Failed : WebhookState.Pending;
        DateTime? next = state == WebhookState.Pending ? DateTime.UtcNow + options.WebhookFirstRetry * Math.Pow(2, attempt - 1) : null;
        db.WebhookDeliveries.Add(new WebhookDelivery
        {
            TranscriptionId = due.Id, Attempt = attempt, Url = due.WebhookUrl!, StatusCode = status, Error = error,
            AttemptedAt = Clock.UtcNow(), DurationMilliseconds = (int)elapsed.TotalMilliseconds,
        });
        await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
        // The transcription may have been deleted while its webhook was in flight: then nothing is recorded.
        var rows = await db.Transcriptions.Where(t => t.Id == due.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.WebhookState, state).SetProperty(t => t.WebhookAttempts, attempt)
                .SetProperty(t => t.WebhookDueAt, next), CancellationToken.None);
        if (rows == 1) await db.SaveChangesAsync(CancellationToken.None);
        await transaction.CommitAsync(CancellationToken.None);
        log.LogInformation("Webhook of {PublicId}, attempt {Attempt}: {Outcome}", due.PublicId, attempt, status?.ToString() ?? error);
        return true;
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
            using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
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
}
