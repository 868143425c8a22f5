using System.Net;
using CustomModels.Api.Tests.Infrastructure;

namespace CustomModels.Api.Tests.Hosting;

public sealed class ErrorShapeTests(SqliteService fixture) : IClassFixture<SqliteService>
{
    readonly TestService service = fixture.Service;

    [Fact]
    public async Task An_unknown_route_is_404_in_the_error_shape()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        await (await client.GetAsync("/api/v3/nothing_here")).AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
        await (await client.GetAsync("/api/v3/custom_models/1/unknown")).AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task A_wrong_method_is_405_in_the_error_shape()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var response = await client.DeleteAsync("/api/v3/custom_models");
        await response.AssertErrorAsync(HttpStatusCode.MethodNotAllowed, "METHOD_NOT_ALLOWED");
        Assert.Contains("GET", response.Content.Headers.Allow.Concat(response.Headers.TryGetValues("Allow", out var v) ? v : []));
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_in_the_error_shape()
    {
        var org = await service.CreateOrganizationAsync();
        // Raw: the client announces 11 MiB and sends a little; the server refuses on the announcement.
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(service.BaseAddress.Host, service.BaseAddress.Port);
        var stream = tcp.GetStream();
        var head = $"POST /api/v3/custom_models HTTP/1.1\r\nHost: {service.BaseAddress.Authority}\r\nAuthorization: Bearer {org.Key}\r\n" +
                   $"Content-Type: application/json\r\nContent-Length: {11 * 1024 * 1024}\r\n\r\n{{\"name\":";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head));
        var answer = new byte[4096];
        var read = await stream.ReadAsync(answer);
        var text = System.Text.Encoding.UTF8.GetString(answer, 0, read);
        Assert.StartsWith("HTTP/1.1 413", text);
        Assert.Contains("\"error_code\":\"PAYLOAD_TOO_LARGE\"", text);
    }

    [Fact]
    public async Task Health_and_readiness_answer_without_a_key()
    {
        var client = service.Client(null);
        Assert.Equal("ok", (string?)(await (await client.GetAsync("/healthz")).AssertOkAsync())["status"]);
        Assert.Equal("ready", (string?)(await (await client.GetAsync("/readyz")).AssertOkAsync())["status"]);
    }

    [Fact]
    public async Task The_openapi_document_and_the_reference_page_are_served()
    {
        var client = service.Client(null);
        var doc = await (await client.GetAsync("/openapi/v1.json")).AssertOkAsync();
        var paths = doc["paths"]!.AsObject();
        Assert.Contains("/api/v3/custom_models", paths.Select(p => p.Key));
        Assert.Contains("/api/v3/custom_models/{id}", paths.Select(p => p.Key));
        Assert.Equal("Custom Models API", (string?)doc["info"]!["title"]);
        Assert.Equal("bearer", (string?)doc["components"]!["securitySchemes"]!["bearer"]!["scheme"]);
        var page = await client.GetAsync("/scalar/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("openapi/v1.json", await page.Content.ReadAsStringAsync());
    }
}
