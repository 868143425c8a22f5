using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CustomModels.Api.Tests.Infrastructure;

/// <summary>
/// A create request sent on a raw connection whose body stops half-way: the server holds it in
/// flight (and with it one of the key's in-flight slots) until <see cref="FinishAsync"/> sends the rest.
/// </summary>
public sealed class HeldRequest : IDisposable
{
    const string Models = "/api/v3/custom_models";
    static readonly byte[] Body = """{"name":"slow","language":"en"}"""u8.ToArray();
    readonly TcpClient tcp;
    readonly NetworkStream stream;

    HeldRequest(TcpClient tcp)
    {
        this.tcp = tcp;
        stream = tcp.GetStream();
    }

    public static async Task<HeldRequest> StartAsync(Uri server, string key)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        var held = new HeldRequest(tcp);
        var head = $"POST {Models} HTTP/1.1\r\nHost: {server.Authority}\r\nAuthorization: Bearer {key}\r\n" +
                   $"Content-Type: application/json\r\nContent-Length: {Body.Length}\r\nConnection: close\r\n\r\n";
        await held.stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await held.stream.WriteAsync(Body.AsMemory(0, 5));
        await held.stream.FlushAsync();
        return held;
    }

    /// <summary>Sends the rest of the body; returns the raw answer.</summary>
    public async Task<string> FinishAsync()
    {
        await stream.WriteAsync(Body.AsMemory(5));
        return await new StreamReader(stream).ReadToEndAsync();
    }

    /// <summary>
    /// Lists models with <paramref name="client"/> until an answer is 429, or null: by a deadline
    /// inside Kestrel's 5 s grace before its minimum body rate applies, not by a count (a loaded
    /// machine is slow to reach the held request).
    /// </summary>
    public static async Task<HttpResponseMessage?> FirstRefusalAsync(HttpClient client)
    {
        var deadline = DateTime.UtcNow.AddSeconds(4.5);
        while (DateTime.UtcNow < deadline)
        {
            var response = await client.GetAsync(Models);
            if (response.StatusCode == HttpStatusCode.TooManyRequests) return response;
            await Task.Delay(20);
        }
        return null;
    }

    public void Dispose() => tcp.Dispose();
}
