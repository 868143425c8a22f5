using System.Net;
using System.Text;
using CustomModels.Api.Tests.Infrastructure;

namespace CustomModels.Api.Tests.Hostile;

public sealed class HostileInputExamplesOnSqlite(SqliteService fixture) : HostileInputExamples(fixture.Service), IClassFixture<SqliteService>;

public sealed class HostileInputExamplesOnPostgres(PostgresService fixture) : HostileInputExamples(fixture.Service), IClassFixture<PostgresService>;

/// <summary>Requests the properties found answered with a 500, pinned as plain examples.</summary>
public abstract class HostileInputExamples(TestService service)
{
    const string Models = HostileGen.ModelsPath;

    // Found by afl-fuzz on the upload reader (scripts/fuzz.sh multipart): reading these file names threw inside ASP.NET's
    // ContentDispositionHeaderValue (ArgumentNullException, NotSupportedException), answered 500.
    [Theory]
    [InlineData("filename*")]
    [InlineData("filename*=utf-7''a.txt")]
    public async Task A_part_whose_filename_star_cannot_be_decoded_is_400_malformed_multipart(string parameter)
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var id = (long)(await client.CreateModelAsync())["id"]!;
        foreach (var (path, field, value, name) in new[] { ($"{Models}/{id}/data", "type", "train", "transcript_file"), ("/api/v3/stt", "language", "en", "audio_file") })
        {
            var body = new ByteArrayContent(Encoding.UTF8.GetBytes(
                $"--b\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n" +
                $"--b\r\nContent-Disposition: form-data; name=\"{name}\"; {parameter}\r\n\r\nthe patient\r\n--b--\r\n"));
            body.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=b");
            await (await client.SendAsync(new HttpRequestMessage(path.EndsWith("data") ? HttpMethod.Put : HttpMethod.Post, path) { Content = body }))
                .AssertErrorAsync(HttpStatusCode.BadRequest, "MALFORMED_MULTIPART");
        }
    }

    [Fact]
    public async Task A_json_body_that_repeats_a_property_is_400_malformed_json()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var id = (long)(await client.CreateModelAsync())["id"]!;
        await (await client.PostAsync(Models, Http.Json("{\"name\":\"a\",\"name\":\"b\",\"language\":\"en\"}")))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "MALFORMED_JSON");
        await (await client.PatchAsync($"{Models}/{id}", Http.Json("{\"name\":\"a\",\"extra\":{\"x\":1,\"x\":2}}")))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "MALFORMED_JSON");
    }

    [Theory]
    [InlineData("{\"name\":\"\\ud800\",\"language\":\"en\"}", "name")]
    [InlineData("{\"name\":\"ok\",\"language\":\"en\",\"description\":\"a\\udc00b\"}", "description")]
    [InlineData("{\"name\":\"ok\",\"language\":\"\\ud800\"}", "language")]
    public async Task A_lone_surrogate_escape_in_a_string_field_is_400_naming_the_field(string json, string field)
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var error = await (await client.PostAsync(Models, Http.Json(json))).AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Contains("Unicode", (string?)error["details"]![field]);
    }

    [Fact]
    public async Task A_lone_surrogate_where_an_update_names_an_immutable_field_is_400()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var id = (long)(await client.CreateModelAsync())["id"]!;
        var error = await (await client.PatchAsync($"{Models}/{id}", Http.Json("{\"name\":\"ok\",\"language\":\"\\ud800\"}")))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.NotNull(error["details"]!["language"]);
    }

    [Fact]
    public async Task A_nul_character_in_a_name_or_description_is_400_on_every_database()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var id = (long)(await client.CreateModelAsync())["id"]!;
        var created = await (await client.PostAsync(Models, Http.Json("{\"name\":\"a\\u0000b\",\"language\":\"en\"}")))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Contains("NUL", (string?)created["details"]!["name"]);
        var updated = await (await client.PatchAsync($"{Models}/{id}", Http.Json("{\"description\":\"a\\u0000b\"}")))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Contains("NUL", (string?)updated["details"]!["description"]);
    }

    [Theory]
    [InlineData(71)]
    [InlineData(5000)]
    public async Task A_multipart_boundary_longer_than_70_characters_is_400_malformed_multipart(int length)
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var id = (long)(await client.CreateModelAsync())["id"]!;
        var boundary = new string('b', length);
        var content = new ByteArrayContent(Encoding.ASCII.GetBytes(
            $"--{boundary}\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\ntrain\r\n--{boundary}--\r\n"));
        content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=" + boundary);
        await (await client.PutAsync($"{Models}/{id}/data", content)).AssertErrorAsync(HttpStatusCode.BadRequest, "MALFORMED_MULTIPART");
    }
}
