using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CustomModels.Api.Tests.Infrastructure;

/// <summary>
/// A create request sent on a raw connection whose body is not finished: the server holds it in
/// flight (and with it one of the key's in-flight slots) until <see cref="FinishAsync"/> sends the rest.
/// The body starts with whitespace (valid before JSON) trickled faster than Kestrel's minimum data
/// rate, so the request stays in flight for as long as a loaded machine needs, not only for the rate's
/// 5 s grace period.
/// </summary>
public sealed class HeldRequest : IDisposable
{
    const string Models = "/api/v3/custom_models";
    const int Padding = 1024 * 1024;
    const int TrickleBytes = 100; // every TrickleInterval: 1,000 bytes a second, above Kestrel's minimum of 240
    static readonly TimeSpan TrickleInterval = TimeSpan.FromMilliseconds(100);
    // How long the held request is given to reach its slot before the listings start.
    static readonly TimeSpan HeadStart = TimeSpan.FromMilliseconds(500);
    static readonly byte[] Body = """{"name":"slow","language":"en"}"""u8.ToArray();
    readonly Uri server;
    readonly string key;
    TcpClient tcp = null!;
    NetworkStream stream = null!;
    CancellationTokenSource stopTrickle = null!;
    Task trickle = Task.CompletedTask;
    int paddingSent;

    HeldRequest(Uri server, string key)
    {
        this.server = server;
        this.key = key;
    }

    public static async Task<HeldRequest> StartAsync(Uri server, string key)
    {
        var held = new HeldRequest(server, key);
        await held.SendAsync();
        return held;
    }

    async Task SendAsync()
    {
        tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        stream = tcp.GetStream();
        paddingSent = 0;
        var head = $"POST {Models} HTTP/1.1\r\nHost: {server.Authority}\r\nAuthorization: Bearer {key}\r\n" +
                   $"Content-Type: application/json\r\nContent-Length: {Padding + Body.Length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await SendPaddingAsync(TrickleBytes, CancellationToken.None);
        stopTrickle = new CancellationTokenSource();
        // On the thread pool, not on xunit's synchronization context: that has one thread a core,
        // and tests blocking them would starve the trickle below Kestrel's minimum rate (408).
        var stop = stopTrickle.Token;
        trickle = Task.Run(() => TrickleAsync(stop));
    }

    async Task TrickleAsync(CancellationToken stop)
    {
        try
        {
            while (paddingSent + TrickleBytes <= Padding)
            {
                await Task.Delay(TrickleInterval, stop);
                await SendPaddingAsync(TrickleBytes, stop);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
            // The server answered (refused) and closed: FirstRefusalAsync sends the request again.
        }
    }

    async Task SendPaddingAsync(int count, CancellationToken ct)
    {
        await stream.WriteAsync(Enumerable.Repeat((byte)' ', count).ToArray(), ct);
        await stream.FlushAsync(ct);
        paddingSent += count;
    }

    async Task StopAsync()
    {
        await stopTrickle.CancelAsync();
        await trickle;
    }

    /// <summary>Sends the rest of the body; returns the raw answer.</summary>
    public async Task<string> FinishAsync()
    {
        await StopAsync();
        await SendPaddingAsync(Padding - paddingSent, CancellationToken.None);
        await stream.WriteAsync(Body);
        return await new StreamReader(stream).ReadToEndAsync();
    }

    /// <summary>
    /// Lists models with <paramref name="client"/> every 100 ms (at most 600 requests: give the key a
    /// larger per-minute limit) until an answer is 429; fails after a minute, naming the answers it had.
    /// On a loaded machine a listing can hold the key's slot just when the held request arrives, which
    /// is then the one refused: it is sent again, since it must be in flight first.
    /// </summary>
    public async Task<HttpResponseMessage> FirstRefusalAsync(HttpClient client)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        var answers = new List<HttpStatusCode>();
        var resent = 0;
        await Task.Delay(HeadStart);
        while (DateTime.UtcNow < deadline)
        {
            var response = await client.GetAsync(Models);
            if (response.StatusCode == HttpStatusCode.TooManyRequests) return response;
            answers.Add(response.StatusCode);
            if (tcp.Available > 0 || trickle.IsCompleted)
            {
                // 429: a listing had the slot when it came. 408: the machine was too starved to keep
                // its body coming at Kestrel's minimum rate. Either way it was not held: send it again.
                var answer = await ReadAnswerAsync();
                if (answer != "" && !answer.StartsWith("HTTP/1.1 429", StringComparison.Ordinal)
                    && !answer.StartsWith("HTTP/1.1 408", StringComparison.Ordinal))
                    throw new InvalidOperationException("the held request was answered: " + answer);
                await StopAsync();
                tcp.Dispose();
                resent++;
                await SendAsync();
                await Task.Delay(HeadStart);
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"no request was refused while one was held in flight (sent again {resent} times); answers: " +
            string.Join(", ", answers.CountBy(a => a).Select(c => $"{(int)c.Key} x{c.Value}")));
    }

    /// <summary>What the server answered early; "" when it reset the connection before it could be read (it answers and closes while the body is still coming).</summary>
    async Task<string> ReadAnswerAsync()
    {
        try
        {
            return await new StreamReader(stream).ReadToEndAsync();
        }
        catch (IOException)
        {
            return "";
        }
    }

    public void Dispose()
    {
        if (!trickle.IsCompleted) stopTrickle.Cancel();
        try { trickle.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        tcp.Dispose();
    }
}
