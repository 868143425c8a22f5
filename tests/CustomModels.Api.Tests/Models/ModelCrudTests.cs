using System.Net;
using System.Text.RegularExpressions;
using CustomModels.Api.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace CustomModels.Api.Tests.Models;

public abstract partial class ModelCrudTests(TestService service)
{
    const string Models = "/api/v3/custom_models";

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")]
    private static partial Regex Rfc3339Seconds();

    [Fact]
    public async Task Create_answers_201_with_a_new_model_in_status_1()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var response = await client.PostAsync(Models, Http.Json(new { name = "Medical Cardiology EN", language = "en", base_model = "medical", description = "Cardiology consultations" }));
        var model = await response.AssertOkAsync(HttpStatusCode.Created);

        var id = (long)model["id"]!;
        Assert.Equal($"custom_model_{id}", (string?)model["model_key"]);
        Assert.Equal("Medical Cardiology EN", (string?)model["name"]);
        Assert.Equal("Cardiology consultations", (string?)model["description"]);
        Assert.Equal("en", (string?)model["language"]);
        Assert.Equal("medical", (string?)model["base_model"]);
        Assert.Equal(1, (int)model["training_status"]!);
        Assert.Equal("Model created. Upload training data to begin.", (string?)model["status_message"]);
        Assert.Matches(Rfc3339Seconds(), (string?)model["created_at"]);
        Assert.Equal((string?)model["created_at"], (string?)model["updated_at"]);
        foreach (var absent in new[] { "training_progress", "started_training_at", "finished_training_at", "training_metrics", "error", "failed_at" })
            Assert.False(model.ContainsKey(absent), $"{absent} must be omitted in status 1");
        Assert.EndsWith($"{Models}/{id}", response.Headers.Location?.ToString());
    }

    [Fact]
    public async Task Create_defaults_base_model_to_general_trims_the_name_and_keeps_a_null_description()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var model = await client.CreateModelAsync(name: "  Legal hearings  ", language: "nl");
        Assert.Equal("Legal hearings", (string?)model["name"]);
        Assert.Equal("general", (string?)model["base_model"]);
        Assert.True(model.ContainsKey("description"));
        Assert.Null(model["description"]);
    }

    [Fact]
    public async Task Create_reports_every_bad_field_and_creates_nothing()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var response = await client.PostAsync(Models, Http.Json(new { name = "   ", language = "EN", base_model = "dental", description = new string('d', 1001) }));
        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        var details = error["details"]!.AsObject();
        Assert.Equal(["base_model", "description", "language", "name"], details.Select(d => d.Key).Order());

        var list = await (await client.GetAsync(Models)).AssertOkAsync();
        Assert.Equal(0, (int)list["total_results"]!);
    }

    [Fact]
    public async Task Create_requires_name_and_language()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var error = await (await client.PostAsync(Models, Http.Json("{}"))).AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal("Required", (string?)error["details"]!["name"]);
        Assert.Equal("Required", (string?)error["details"]!["language"]);
    }

    [Fact]
    public async Task Create_rejects_fields_of_the_wrong_type()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var error = await (await client.PostAsync(Models, Http.Json("""{"name": 12, "language": ["en"], "description": false}""")))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal("Must be a string", (string?)error["details"]!["name"]);
        Assert.Equal("Must be a string", (string?)error["details"]!["language"]);
        Assert.Equal("Must be a string", (string?)error["details"]!["description"]);
    }

    [Fact]
    public async Task Create_accepts_names_of_200_characters_and_descriptions_of_1000_but_no_more()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        await client.CreateModelAsync(name: new string('n', 200), description: new string('d', 1000));
        // Characters, not UTF-16 units: 200 emoji are 200 characters.
        await client.CreateModelAsync(name: string.Concat(Enumerable.Repeat("🫀", 200)));
        var error = await (await client.PostAsync(Models, Http.Json(new { name = new string('n', 201), language = "en" })))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Equal("Must be at most 200 characters", (string?)error["details"]!["name"]);
    }

    [Fact]
    public async Task Create_ignores_unknown_fields()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var response = await client.PostAsync(Models, Http.Json(new { name = "x", language = "de", id = 999, training_status = 4, colour = "red" }));
        var model = await response.AssertOkAsync(HttpStatusCode.Created);
        Assert.NotEqual(999, (long)model["id"]!);
        Assert.Equal(1, (int)model["training_status"]!);
    }

    [Fact]
    public async Task Create_with_malformed_json_is_400_and_with_another_content_type_is_415()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        await (await client.PostAsync(Models, Http.Json("""{"name": "x", """))).AssertErrorAsync(HttpStatusCode.BadRequest, "MALFORMED_JSON");
        await (await client.PostAsync(Models, Http.Json("[1,2]"))).AssertErrorAsync(HttpStatusCode.BadRequest, "MALFORMED_JSON");
        var text = new StringContent("""{"name":"x","language":"en"}""", System.Text.Encoding.UTF8, "text/plain");
        await (await client.PostAsync(Models, text)).AssertErrorAsync(HttpStatusCode.UnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE");
    }

    [Fact]
    public async Task Get_returns_the_model_with_or_without_a_trailing_slash()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var created = await client.CreateModelAsync();
        var id = (long)created["id"]!;
        var got = await (await client.GetAsync($"{Models}/{id}")).AssertOkAsync();
        Assert.Equal(created.ToJsonString(), got.ToJsonString());
        var slashed = await (await client.GetAsync($"{Models}/{id}/")).AssertOkAsync();
        Assert.Equal(created.ToJsonString(), slashed.ToJsonString());
    }

    [Theory]
    [InlineData("999999999")]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("0")]
    [InlineData("99999999999999999999999")]
    public async Task Get_of_an_unknown_id_is_404_model_not_found(string id)
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        await (await client.GetAsync($"{Models}/{id}")).AssertErrorAsync(HttpStatusCode.NotFound, "MODEL_NOT_FOUND");
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("PATCH")]
    public async Task Update_changes_the_name_by_every_method(string method)
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var created = await client.CreateModelAsync(description: "keep me");
        var request = new HttpRequestMessage(new HttpMethod(method), $"{Models}/{created["id"]}") { Content = Http.Json(new { name = " Renamed " }) };
        var updated = await (await client.SendAsync(request)).AssertOkAsync();
        Assert.Equal("Renamed", (string?)updated["name"]);
        Assert.Equal("keep me", (string?)updated["description"]);
        var got = await (await client.GetAsync($"{Models}/{created["id"]}")).AssertOkAsync();
        Assert.Equal("Renamed", (string?)got["name"]);
    }

    [Fact]
    public async Task Update_with_description_null_clears_it_and_bumps_updated_at()
    {
        // The service's clock is a fake one that the test moves a second on (timestamps have second precision).
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var own = await service.StartAnotherAsync(o => o with { RunWorker = false, Time = time });
        var client = (await own.CreateOrganizationAsync()).Client();
        var created = await client.CreateModelAsync(description: "old");
        time.Advance(TimeSpan.FromSeconds(1));
        var updated = await (await client.PostAsync($"{Models}/{created["id"]}", Http.Json("""{"description": null}"""))).AssertOkAsync();
        Assert.True(updated.ContainsKey("description"));
        Assert.Null(updated["description"]);
        Assert.Equal((string?)created["created_at"], (string?)updated["created_at"]);
        Assert.True(string.CompareOrdinal((string?)updated["updated_at"], (string?)created["updated_at"]) > 0);
    }

    [Fact]
    public async Task Update_without_name_or_description_is_400()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var created = await client.CreateModelAsync();
        await (await client.PostAsync($"{Models}/{created["id"]}", Http.Json("{}"))).AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        await (await client.PostAsync($"{Models}/{created["id"]}", Http.Json(new { colour = "red" }))).AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
    }

    [Fact]
    public async Task Update_rejects_a_change_of_language_or_base_model_and_changes_nothing()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var created = await client.CreateModelAsync(name: "before", language: "en", baseModel: "legal");
        var error = await (await client.PostAsync($"{Models}/{created["id"]}", Http.Json(new { name = "after", language = "fr", base_model = "medical" })))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "VALIDATION_ERROR");
        Assert.Contains("changed", (string?)error["details"]!["language"]);
        Assert.Contains("changed", (string?)error["details"]!["base_model"]);
        var got = await (await client.GetAsync($"{Models}/{created["id"]}")).AssertOkAsync();
        Assert.Equal("before", (string?)got["name"]);

        // Sending the value it already has is no change.
        var same = await (await client.PostAsync($"{Models}/{created["id"]}", Http.Json(new { name = "after", language = "en", base_model = "legal" }))).AssertOkAsync();
        Assert.Equal("after", (string?)same["name"]);
    }

    [Fact]
    public async Task Update_of_an_unknown_model_is_404()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        await (await client.PostAsync($"{Models}/987654321", Http.Json(new { name = "x" }))).AssertErrorAsync(HttpStatusCode.NotFound, "MODEL_NOT_FOUND");
    }

    [Fact]
    public async Task Delete_answers_204_with_no_body_and_a_second_delete_is_404()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var created = await client.CreateModelAsync();
        var response = await client.DeleteAsync($"{Models}/{created["id"]}/");
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        await (await client.DeleteAsync($"{Models}/{created["id"]}")).AssertErrorAsync(HttpStatusCode.NotFound, "MODEL_NOT_FOUND");
        await (await client.GetAsync($"{Models}/{created["id"]}")).AssertErrorAsync(HttpStatusCode.NotFound, "MODEL_NOT_FOUND");
    }
}

public sealed class ModelCrudTestsOnSqlite(SqliteService fixture) : ModelCrudTests(fixture.Service), IClassFixture<SqliteService>;

public sealed class ModelCrudTestsOnPostgres(PostgresService fixture) : ModelCrudTests(fixture.Service), IClassFixture<PostgresService>;
