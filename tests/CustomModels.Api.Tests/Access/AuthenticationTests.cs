using System.Net;
using System.Net.Http.Headers;
using CustomModels.Api.Tests.Infrastructure;
using CustomModels.Core.Data;
using CustomModels.Core.Models;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CustomModels.Api.Tests.Access;

public abstract class AuthenticationTests(TestService service)
{
    const string Models = "/api/v3/custom_models";

    [Fact]
    public async Task A_request_without_a_key_is_401_missing_api_key()
    {
        var client = service.Client(null);
        var error = await (await client.GetAsync(Models)).AssertErrorAsync(HttpStatusCode.Unauthorized, "MISSING_API_KEY");
        Assert.Equal("Unauthorized", (string?)error["error"]);
        Assert.Equal("Invalid or missing API key", (string?)error["message"]);
    }

    [Theory]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    [InlineData("Bearer cmk_aaaaaaaaaaaa_notarealsecret")]
    [InlineData("Bearer something-else-entirely")]
    [InlineData("Token abc")]
    public async Task A_malformed_or_unknown_key_is_401_invalid_api_key(string header)
    {
        var client = service.Client(null);
        var request = new HttpRequestMessage(HttpMethod.Get, Models);
        request.Headers.TryAddWithoutValidation("Authorization", header);
        await (await client.SendAsync(request)).AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_API_KEY");
    }

    [Fact]
    public async Task A_key_with_a_wrong_secret_is_401_even_with_a_real_prefix()
    {
        var org = await service.CreateOrganizationAsync();
        var forged = org.Key[..^4] + (org.Key.EndsWith("AAAA") ? "BBBB" : "AAAA");
        await (await service.Client(forged).GetAsync(Models)).AssertErrorAsync(HttpStatusCode.Unauthorized, "INVALID_API_KEY");
    }

    [Fact]
    public async Task A_revoked_key_is_401_key_revoked_while_other_keys_keep_working()
    {
        var org = await service.CreateOrganizationAsync();
        var other = await service.CreateKeyAsync(org.Organization.Id, Scopes.All.ToArray());
        await (await org.Client().GetAsync(Models)).AssertOkAsync();
        await service.RevokeAsync(org.Key);
        await (await org.Client().GetAsync(Models)).AssertErrorAsync(HttpStatusCode.Unauthorized, "KEY_REVOKED");
        await (await service.Client(other).GetAsync(Models)).AssertOkAsync();
    }

    [Fact]
    public async Task A_read_only_key_can_read_but_not_write()
    {
        var writer = await service.CreateOrganizationAsync();
        var model = await writer.Client().CreateModelAsync();
        var reader = service.Client(await service.CreateKeyAsync(writer.Organization.Id, [Scopes.ModelsRead]));

        await (await reader.GetAsync(Models)).AssertOkAsync();
        await (await reader.GetAsync($"{Models}/{model["id"]}")).AssertOkAsync();
        var error = await (await reader.PostAsync(Models, Http.Json(new { name = "x", language = "en" })))
            .AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_SCOPE");
        Assert.Equal("API key lacks the custom_models:write scope", (string?)error["message"]);
        Assert.Equal("Forbidden", (string?)error["error"]);
        await (await reader.PostAsync($"{Models}/{model["id"]}", Http.Json(new { name = "x" }))).AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_SCOPE");
        await (await reader.DeleteAsync($"{Models}/{model["id"]}")).AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_SCOPE");
    }

    [Fact]
    public async Task A_write_only_or_stt_only_key_cannot_read_models()
    {
        var org = await service.CreateOrganizationAsync();
        var writer = service.Client(await service.CreateKeyAsync(org.Organization.Id, [Scopes.ModelsWrite]));
        var model = await writer.CreateModelAsync();
        var error = await (await writer.GetAsync(Models)).AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_SCOPE");
        Assert.Equal("API key lacks the custom_models:read scope", (string?)error["message"]);
        var stt = service.Client(await service.CreateKeyAsync(org.Organization.Id, [Scopes.SttRead, Scopes.SttWrite]));
        await (await stt.GetAsync($"{Models}/{model["id"]}")).AssertErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_SCOPE");
    }

    [Fact]
    public async Task Another_organizations_model_does_not_exist_for_the_caller()
    {
        var owner = await service.CreateOrganizationAsync();
        var model = await owner.Client().CreateModelAsync(name: "secret model");
        var stranger = (await service.CreateOrganizationAsync()).Client();
        var path = $"{Models}/{model["id"]}";

        await (await stranger.GetAsync(path)).AssertErrorAsync(HttpStatusCode.NotFound, "MODEL_NOT_FOUND");
        await (await stranger.PostAsync(path, Http.Json(new { name = "mine now" }))).AssertErrorAsync(HttpStatusCode.NotFound, "MODEL_NOT_FOUND");
        await (await stranger.PutAsync(path, Http.Json(new { description = "x" }))).AssertErrorAsync(HttpStatusCode.NotFound, "MODEL_NOT_FOUND");
        await (await stranger.DeleteAsync(path)).AssertErrorAsync(HttpStatusCode.NotFound, "MODEL_NOT_FOUND");
        var list = await (await stranger.GetAsync(Models)).AssertOkAsync();
        Assert.Equal(0, (long)list["total_results"]!);

        var still = await (await owner.Client().GetAsync(path)).AssertOkAsync();
        Assert.Equal("secret model", (string?)still["name"]);
    }

    [Fact]
    public async Task Keys_are_stored_hashed_never_in_clear()
    {
        var org = await service.CreateOrganizationAsync();
        using var scope = service.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var row = await db.ApiKeys.AsNoTracking().SingleAsync(k => k.Id == org.KeyId);
        Assert.Equal(32, row.SecretHash.Length);
        var secret = KeyText.SecretOf(org.Key);
        Assert.DoesNotContain(secret, row.Prefix + row.Scopes + Convert.ToBase64String(row.SecretHash));
    }

    [Fact]
    public async Task The_bearer_scheme_is_case_insensitive()
    {
        var org = await service.CreateOrganizationAsync();
        var client = service.Client(null);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("bearer", org.Key);
        await (await client.GetAsync(Models)).AssertOkAsync();
    }
}

public sealed class AuthenticationTestsOnSqlite(SqliteService fixture) : AuthenticationTests(fixture.Service), IClassFixture<SqliteService>;

public sealed class AuthenticationTestsOnPostgres(PostgresService fixture) : AuthenticationTests(fixture.Service), IClassFixture<PostgresService>;
