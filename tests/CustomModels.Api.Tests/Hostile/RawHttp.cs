using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace CustomModels.Api.Tests.Hostile;

/// <summary>
/// A request written byte for byte, as a hostile client would: no client library in between to
/// refuse a control character in a header, a raw unicode path or a body shorter than announced.
/// </summary>
public sealed record RawRequest(string Method, string Target, IReadOnlyList<(string Name, string Value)> Headers, byte[] Body)
{
    /// <summary>Content-Length to announce; null: the body's real length.</summary>
    public long? DeclaredLength { get; init; }

    /// <summary>The client announces more than it sends, then closes its side.</summary>
    public bool StopsMidBody => DeclaredLength is { } declared && declared > Body.Length;

    /// <summary>
    /// The request breaks HTTP/1.1 itself (a control character or non-ASCII byte in the head, a
    /// missing Host) or Kestrel's limits (request line, header size): Kestrel may refuse it before
    /// the service sees it, with its own empty 400, 414 or 431.
    /// </summary>
    public bool KestrelMayRefuse =>
        Head().Any(b => b > 0x7E || (b < 0x20 && b is not (byte)'\r' and not (byte)'\n' and not (byte)'\t'))
        || Target.Contains("%00", StringComparison.Ordinal) // a NUL in the decoded path
        // Kestrel's MaxRequestLineSize counts "METHOD SP target SP HTTP/1.1 CRLF": beyond 8 KiB, 414
        // (measured: GET with a 8,177-byte target is answered, with 8,178 bytes it is a 414).
        || Method.Length + 1 + Encoding.UTF8.GetByteCount(Target) + 1 + "HTTP/1.1\r\n".Length > 8 * 1024
        || Head().Length > 32 * 1024 // Kestrel's MaxRequestHeadersTotalSize: 431
        || !Headers.Any(h => h.Name.Equals("Host", StringComparison.OrdinalIgnoreCase))
        || Headers.Count(h => h.Name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)) > 0;

    public byte[] Head()
    {
        var head = new StringBuilder($"{Method} {Target} HTTP/1.1\r\n");
        foreach (var (name, value) in Headers) head.Append(name).Append(": ").Append(value).Append("\r\n");
        head.Append("Content-Length: ").Append(DeclaredLength ?? Body.Length).Append("\r\nConnection: close\r\n\r\n");
        return Encoding.UTF8.GetBytes(head.ToString());
    }

    public override string ToString()
    {
        var headers = string.Join(" | ", Headers.Select(h => $"{h.Name}: {Shorten(h.Value)}"));
        return $"{Method} {Shorten(Target)} [{headers}] body({Body.Length}{(DeclaredLength is { } d ? $", announced {d}" : "")}): {Shorten(Encoding.UTF8.GetString(Body))}";
    }

    static string Shorten(string s) => (s.Length > 200 ? s[..200] + $"…({s.Length} chars)" : s).ReplaceLineEndings("⏎");
}

public sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string? ContentType => Headers.GetValueOrDefault("content-type");
}

public static class RawHttp
{
    /// <summary>
    /// Sends the request on a fresh connection and reads the answer until the server closes it.
    /// Null when the client stopped mid-body and the server closed without an answer: Kestrel takes
    /// the client's half-close as the end of the connection, so there is no one left to answer.
    /// </summary>
    public static async Task<RawResponse?> SendAsync(Uri server, RawRequest request, TimeSpan? timeout = null)
    {
        try
        {
            return await ExchangeAsync(server, request, timeout);
        }
        catch (Exception e) when (request.StopsMidBody && e is IOException or InvalidDataException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or OperationCanceledException)
        {
            throw new InvalidDataException($"no answer to {request}: {e.Message}", e);
        }
    }

    static async Task<RawResponse?> ExchangeAsync(Uri server, RawRequest request, TimeSpan? timeout)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port, cts.Token);
        var stream = tcp.GetStream();
        try
        {
            await stream.WriteAsync(request.Head(), cts.Token);
            await stream.WriteAsync(request.Body, cts.Token);
            // A body shorter than announced: the client stops sending, but still listens.
            if (request.StopsMidBody) tcp.Client.Shutdown(SocketShutdown.Send);
        }
        catch (IOException)
        {
            // The server may answer and close before it has read the whole body; its answer is still to be read.
        }
        var answer = new MemoryStream();
        var buffer = new byte[16384];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, cts.Token)) > 0) answer.Write(buffer, 0, read);
        }
        catch (IOException) when (answer.Length > 0)
        {
            // A reset after the answer was written: the answer is whole enough to judge.
        }
        return answer.Length == 0 && request.StopsMidBody ? null : Parse(answer.ToArray());
    }

    public static RawResponse Parse(byte[] bytes)
    {
        var headEnd = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        if (headEnd < 0) throw new InvalidDataException($"no complete HTTP answer ({bytes.Length} bytes): {Encoding.UTF8.GetString(bytes)}");
        var lines = Encoding.Latin1.GetString(bytes, 0, headEnd).Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1]);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            if (colon > 0) headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        var body = bytes.AsSpan(headEnd + 4);
        var chunked = headers.GetValueOrDefault("transfer-encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true;
        return new RawResponse(status, headers, Encoding.UTF8.GetString(chunked ? Dechunk(body) : body));
    }

    static byte[] Dechunk(ReadOnlySpan<byte> chunked)
    {
        var body = new MemoryStream();
        while (true)
        {
            var lineEnd = chunked.IndexOf("\r\n"u8);
            if (lineEnd < 0) break;
            var size = Convert.ToInt32(Encoding.ASCII.GetString(chunked[..lineEnd]).Split(';')[0].Trim(), 16);
            if (size == 0) break;
            var data = chunked.Slice(lineEnd + 2, Math.Min(size, chunked.Length - lineEnd - 2));
            body.Write(data);
            chunked = chunked[Math.Min(chunked.Length, lineEnd + 2 + size + 2)..];
        }
        return body.ToArray();
    }
}

/// <summary>What every answer of the service must be, whatever was sent (API.md "Error body").</summary>
public static class Contract
{
    /// <summary>
    /// Status below 500; every error a JSON object with non-empty error, message and error_code;
    /// no body with the data folder's path, a stack trace or an HTML page.
    /// </summary>
    public static void AssertHonours(RawRequest request, RawResponse? response, string dataDirectory)
    {
        if (response is null) return; // see RawHttp.SendAsync
        var context = $"\nrequest: {request}\nanswer: {response.Status} {response.ContentType} {response.Body}";
        Assert.True(response.Status < 500, "a 5xx" + context);
        Assert.False(response.Body.Contains(dataDirectory, StringComparison.Ordinal), "the data folder's path leaked" + context);
        Assert.False(response.Body.Contains("   at ", StringComparison.Ordinal), "a stack trace leaked" + context);
        Assert.False(response.ContentType?.Contains("html", StringComparison.OrdinalIgnoreCase) == true
            || response.Body.TrimStart().StartsWith('<'), "an HTML page" + context);
        if (response.Status < 400 || request.Method == "HEAD") return;
        // Kestrel answers a request that is not HTTP/1.1 before any of the service runs, with an empty 400/431:
        // nothing the service can shape, and nothing leaks from it.
        if (response.Body.Length == 0 && request.KestrelMayRefuse && response.Status is 400 or 414 or 431) return;
        Assert.True(response.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true,
            "an error that is not JSON" + context);
        JsonObject? body = null;
        try { body = JsonNode.Parse(response.Body) as JsonObject; }
        catch (System.Text.Json.JsonException) { }
        Assert.True(body is not null, "an error body that is not a JSON object" + context);
        foreach (var field in new[] { "error", "message", "error_code" })
            Assert.True(body[field] is JsonValue v && v.TryGetValue<string>(out var s) && s.Trim().Length > 0,
                $"an error without a non-empty '{field}'" + context);
        if (body["details"] is { } details)
            Assert.True(details is JsonObject d && d.All(p => p.Value is JsonValue dv && dv.TryGetValue<string>(out _)),
                "details that is not an object of strings" + context);
    }
}
