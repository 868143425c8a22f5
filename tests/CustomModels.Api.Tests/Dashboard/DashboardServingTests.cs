using System.Net;
using CustomModels.Api.Tests.Infrastructure;
using CustomModels.Core.Models;

namespace CustomModels.Api.Tests.Dashboard;

/// <summary>The dashboard's files are served without a key, from the executable itself; the API still needs one.</summary>
public sealed class DashboardServingTests(SqliteService fixture) : IClassFixture<SqliteService>
{
    readonly TestService service = fixture.Service;

    [Fact]
    public async Task The_root_is_the_dashboard_page_without_a_key_while_the_api_still_requires_one()
    {
        var anonymous = service.Client(null);
        var root = await anonymous.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, root.StatusCode);
        Assert.Equal("text/html", root.Content.Headers.ContentType?.MediaType);
        var html = await root.Content.ReadAsStringAsync();
        Assert.Contains("<script type=\"module\" src=\"/dashboard/app.js\"></script>", html);
        // Only this origin's own files: nothing from a CDN, no inline script.
        var policy = root.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self';", policy);
        Assert.DoesNotContain("http", html.Replace("http-equiv", ""), StringComparison.OrdinalIgnoreCase);

        await (await anonymous.GetAsync("/api/v3/custom_models")).AssertErrorAsync(HttpStatusCode.Unauthorized, "MISSING_API_KEY");
        await (await anonymous.GetAsync("/api/v3/key")).AssertErrorAsync(HttpStatusCode.Unauthorized, "MISSING_API_KEY");
    }

    [Fact]
    public async Task Every_module_the_page_imports_is_served_with_its_type_and_revalidated_by_etag()
    {
        var anonymous = service.Client(null);
        var app = await anonymous.GetAsync("/dashboard/app.js");
        Assert.Equal(HttpStatusCode.OK, app.StatusCode);
        Assert.Equal("text/javascript", app.Content.Headers.ContentType?.MediaType);
        var source = await app.Content.ReadAsStringAsync();
        var imports = System.Text.RegularExpressions.Regex.Matches(source, @"from '\./([\w.]+)'").Select(m => m.Groups[1].Value).ToList();
        Assert.Contains("api.js", imports);
        foreach (var module in imports)
        {
            var response = await anonymous.GetAsync("/dashboard/" + module);
            Assert.True(response.StatusCode == HttpStatusCode.OK, module);
            // Nothing loaded from another origin (a CDN): no import, url() or src/href with a host.
            Assert.DoesNotMatch(@"(from|import|url\(|src=|href=)\s*['""(]?(https?:)?//", await response.Content.ReadAsStringAsync());
        }
        Assert.Equal("text/css", (await anonymous.GetAsync("/dashboard/style.css")).Content.Headers.ContentType?.MediaType);

        var again = new HttpRequestMessage(HttpMethod.Get, "/dashboard/app.js");
        again.Headers.IfNoneMatch.Add(app.Headers.ETag!);
        Assert.Equal(HttpStatusCode.NotModified, (await anonymous.SendAsync(again)).StatusCode);
        await (await anonymous.GetAsync("/dashboard/missing.js")).AssertErrorAsync(HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task The_key_endpoint_tells_any_valid_key_its_scopes_and_limits()
    {
        var org = await service.CreateOrganizationAsync(requestsPerMinute: 70, maxConcurrent: 3);
        var all = await org.Client().GetAsync("/api/v3/key").ContinueWith(t => t.Result.AssertOkAsync()).Unwrap();
        Assert.Equal(Scopes.All, all["scopes"]!.AsArray().Select(s => (string)s!));
        Assert.Equal(70, (int)all["requests_per_minute"]!);
        Assert.Equal(3, (int)all["max_concurrent"]!);
        Assert.StartsWith((string)all["prefix"]!, org.Key["cmk_".Length..]);

        var readOnly = await service.CreateKeyAsync(org.Organization.Id, [Scopes.SttRead]);
        var info = await (await service.Client(readOnly).GetAsync("/api/v3/key")).AssertOkAsync();
        Assert.Equal([Scopes.SttRead], info["scopes"]!.AsArray().Select(s => (string)s!));
        await (await service.Client("cmk_nope").GetAsync("/api/v3/key")).AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_API_KEY");
    }
}
