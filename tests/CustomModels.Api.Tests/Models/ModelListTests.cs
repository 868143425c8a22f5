using System.Net;
using System.Text.Json.Nodes;
using CustomModels.Api.Tests.Infrastructure;
using CustomModels.Core.Data;
using CustomModels.Core.Listing;
using CustomModels.Core.Models;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CustomModels.Api.Tests.Models;

public abstract class ModelListTests(TestService service)
{
    protected const string Models = "/api/v3/custom_models";

    async Task<(HttpClient Client, List<long> Ids)> OrganizationWithModelsAsync(int count)
    {
        var org = await service.CreateOrganizationAsync();
        var client = org.Client();
        var ids = new List<long>();
        foreach (var i in Enumerable.Range(0, count))
            ids.Add((long)(await client.CreateModelAsync(name: $"model {i}", language: i % 3 == 0 ? "nl" : "en",
                baseModel: i % 2 == 0 ? "medical" : "legal"))["id"]!);
        return (client, ids);
    }

    /// <summary>Training comes in its own endpoints; here statuses are set straight in the database.</summary>
    async Task SetStatusAsync(IEnumerable<long> ids, TrainingStatus status)
    {
        using var scope = service.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var list = ids.ToList();
        await db.CustomModels.Where(m => list.Contains(m.Id)).ExecuteUpdateAsync(s => s.SetProperty(m => m.TrainingStatus, status));
    }

    [Fact]
    public async Task List_answers_the_envelope_in_id_order_with_25_per_page_by_default()
    {
        var (client, ids) = await OrganizationWithModelsAsync(30);
        var page = await (await client.GetAsync(Models)).AssertOkAsync();
        Assert.Equal(25, (int)page["count"]!);
        Assert.Equal(30, (long)page["total_results"]!);
        Assert.Equal(ids.Take(25), page["result"]!.AsArray().Select(m => (long)m!["id"]!));
        var last = await (await client.GetAsync($"{Models}?page=2")).AssertOkAsync();
        Assert.Equal(ids.Skip(25), last["result"]!.AsArray().Select(m => (long)m!["id"]!));
        Assert.Equal(5, (int)last["count"]!);
    }

    [Fact]
    public async Task Paging_by_100_until_a_short_page_returns_every_model_exactly_once()
    {
        var (client, ids) = await OrganizationWithModelsAsync(230);
        var seen = new List<long>();
        for (var page = 1; ; page++)
        {
            var body = await (await client.GetAsync($"{Models}?page={page}&per_page=100")).AssertOkAsync();
            var items = body["result"]!.AsArray();
            Assert.Equal(items.Count, (int)body["count"]!);
            Assert.Equal(230, (long)body["total_results"]!);
            seen.AddRange(items.Select(m => (long)m!["id"]!));
            if (items.Count < 100) break;
        }
        Assert.Equal(ids, seen);
    }

    [Fact]
    public async Task A_page_past_the_end_is_empty_with_the_total()
    {
        var (client, _) = await OrganizationWithModelsAsync(3);
        var body = await (await client.GetAsync($"{Models}?page=50&per_page=10")).AssertOkAsync();
        Assert.Equal("""{"count":0,"total_results":3,"result":[]}""", body.ToJsonString());
        var far = await (await client.GetAsync($"{Models}?page=2147483647&per_page=100")).AssertOkAsync();
        Assert.Equal(0, (int)far["count"]!);
    }

    [Fact]
    public async Task Filters_on_status_language_and_base_model_combine()
    {
        var (client, ids) = await OrganizationWithModelsAsync(12);
        await SetStatusAsync(ids.Take(6), TrainingStatus.Success);
        // Models i: language nl when i%3==0, base_model medical when i%2==0; success for i<6.
        async Task<long[]> Ids(string query) =>
            (await (await client.GetAsync($"{Models}?{query}")).AssertOkAsync())["result"]!.AsArray().Select(m => (long)m!["id"]!).ToArray();

        Assert.Equal(ids.Take(6), await Ids("status=4"));
        Assert.Equal(ids.Skip(6), await Ids("status=1"));
        Assert.Equal(ids.Where((_, i) => i % 3 == 0), await Ids("language=nl"));
        Assert.Equal(ids.Where((_, i) => i % 2 == 1), await Ids("base_model=legal"));
        Assert.Equal(ids.Where((_, i) => i < 6 && i % 3 != 0 && i % 2 == 0), await Ids("status=4&language=en&base_model=medical"));
        Assert.Empty(await Ids("status=3"));
        var body = await (await client.GetAsync($"{Models}?status=4&language=en&per_page=1")).AssertOkAsync();
        Assert.Equal(4, (long)body["total_results"]!);
    }

    [Theory]
    [InlineData("per_page=101", "per_page", "Maximum value is 100")]
    [InlineData("per_page=0", "per_page", "Minimum value is 1")]
    [InlineData("per_page=ten", "per_page", "Must be an integer between 1 and 100")]
    [InlineData("status=6", "status", "Must be between 1 and 5")]
    [InlineData("status=0", "status", "Must be between 1 and 5")]
    [InlineData("status=done", "status", "Must be between 1 and 5")]
    [InlineData("page=0", "page", "Must be an integer of at least 1")]
    [InlineData("page=-3", "page", "Must be an integer of at least 1")]
    [InlineData("page=1.5", "page", "Must be an integer of at least 1")]
    [InlineData("page=", "page", "Must be an integer of at least 1")]
    [InlineData("page=1&page=2", "page", "Must be given once")]
    [InlineData("language=xx", "language", null)]
    [InlineData("base_model=dental", "base_model", null)]
    public async Task Each_invalid_parameter_is_a_400_naming_it(string query, string field, string? message)
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var error = await (await client.GetAsync($"{Models}?{query}")).AssertErrorAsync(HttpStatusCode.BadRequest, "INVALID_QUERY");
        Assert.Equal("Invalid query parameters", (string?)error["message"]);
        var details = error["details"]!.AsObject();
        Assert.Equal([field], details.Select(d => d.Key));
        if (message is not null) Assert.Equal(message, (string?)details[field]);
    }

    [Fact]
    public async Task All_invalid_parameters_are_reported_at_once_and_unknown_ones_ignored()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var error = await (await client.GetAsync($"{Models}?per_page=500&status=9&page=x&language=EN&sort=name"))
            .AssertErrorAsync(HttpStatusCode.BadRequest, "INVALID_QUERY");
        Assert.Equal(["language", "page", "per_page", "status"], error["details"]!.AsObject().Select(d => d.Key).Order());
        await (await client.GetAsync($"{Models}?sort=name&q=x")).AssertOkAsync();
    }

    [Fact]
    public async Task Total_results_stays_exact_through_creates_status_changes_and_deletes()
    {
        var (client, ids) = await OrganizationWithModelsAsync(9);
        await SetStatusAsync(ids.Take(4), TrainingStatus.Running);
        await SetStatusAsync(ids.Take(2), TrainingStatus.Success);
        await client.DeleteAsync($"{Models}/{ids[0]}");
        await client.DeleteAsync($"{Models}/{ids[5]}");

        using var scope = service.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var org = (await db.CustomModels.AsNoTracking().FirstAsync(m => m.Id == ids[1])).OrganizationId;
        var actual = await db.CustomModels.Where(m => m.OrganizationId == org)
            .GroupBy(m => new { m.TrainingStatus, m.Language, m.BaseModel })
            .Select(g => new { g.Key.TrainingStatus, g.Key.Language, g.Key.BaseModel, Count = (long)g.Count() }).ToListAsync();
        var kept = await db.ModelCounts.Where(c => c.OrganizationId == org && c.Count != 0)
            .Select(c => new { c.TrainingStatus, c.Language, c.BaseModel, c.Count }).ToListAsync();
        Assert.Equal(actual.OrderBy(a => a.ToString()), kept.OrderBy(k => k.ToString()));

        foreach (var query in new[] { "", "status=4", "status=3", "status=1&language=en", "base_model=legal&status=1" })
        {
            var body = await (await client.GetAsync($"{Models}?{query}&per_page=100")).AssertOkAsync();
            Assert.Equal(body["result"]!.AsArray().Count, (long)body["total_results"]!);
        }
    }

    [Fact]
    public async Task The_list_items_are_the_same_objects_as_get()
    {
        var (client, ids) = await OrganizationWithModelsAsync(2);
        var list = await (await client.GetAsync(Models)).AssertOkAsync();
        var got = await (await client.GetAsync($"{Models}/{ids[1]}")).AssertOkAsync();
        Assert.Equal(got.ToJsonString(), list["result"]![1]!.ToJsonString());
    }

    [Fact]
    public async Task The_list_items_are_the_same_objects_as_get_in_every_state()
    {
        // The list reads its rows and writes its JSON itself, GET goes through the ORM and the
        // serializer: every state, with every optional column set, must come out byte for byte the
        // same from both (each state shows its own subset of them), texts that need escaping included.
        var (client, ids) = await OrganizationWithModelsAsync(6);
        TrainingStatus[] states = [TrainingStatus.NotRunning, TrainingStatus.ReadyToRun, TrainingStatus.Running,
            TrainingStatus.Running, TrainingStatus.Success, TrainingStatus.Failed];
        var start = new DateTime(2025, 1, 16, 8, 0, 0, DateTimeKind.Utc);
        using (var scope = service.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            foreach (var (id, i) in ids.Select((id, i) => (id, i)))
            {
                var model = await db.CustomModels.SingleAsync(m => m.Id == id);
                model.TrainingStatus = states[i];
                model.Description = i % 2 == 0 ? null : $"described {i}: \"quoted\", back\\slash, <b>&'\t, café, 東京, 😀";
                model.TrainingProgress = 40 + i;
                model.TrainingError = "the audio of 3 files could not be decoded";
                model.StartedTrainingAt = start.AddMinutes(i).AddMilliseconds(123);
                model.FinishedTrainingAt = i == 2 ? null : start.AddHours(1 + i).AddMilliseconds(999); // 2: a first training, still running
                model.FailedAt = start.AddHours(9);
                model.WordErrorRate = 12.345 + i;
                model.BaseWordErrorRate = 30.25;
                model.AccuracyImprovement = 58.65;
                model.CharacterErrorRate = i == 4 ? null : 6.05;
                model.TrainingHours = 1.255;
            }
            await db.SaveChangesAsync();
        }

        var items = (await (await client.GetAsync($"{Models}?per_page=100")).AssertOkAsync())["result"]!.AsArray();
        Assert.Equal(ids, items.Select(item => (long)item!["id"]!));
        await AssertListedAsGotAsync(client, ids);
        // The comparison covered the optional fields: the states show them.
        Assert.Equal(new[] { false, false, false, true, true, false }, items.Select(item => item!["training_metrics"] is not null)); // a retrain and a success
        Assert.NotNull(items[5]!["failed_at"]);
        Assert.Equal("Training failed: the audio of 3 files could not be decoded", (string?)items[5]!["status_message"]);
    }

    static async Task<string> GetTextAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        await response.AssertOkAsync();
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The list's items, as text, are GET's answers for the same models, byte for byte.</summary>
    protected static async Task AssertListedAsGotAsync(HttpClient client, IReadOnlyList<long> ids)
    {
        var gotTexts = new List<string>();
        foreach (var id in ids) gotTexts.Add(await GetTextAsync(client, $"{Models}/{id}"));
        Assert.Equal($"{{\"count\":{ids.Count},\"total_results\":{ids.Count},\"result\":[{string.Join(',', gotTexts)}]}}",
            await GetTextAsync(client, $"{Models}?per_page=100"));
    }

    [Fact]
    public async Task A_bulk_update_clears_the_listed_json_and_the_list_shows_the_model_as_it_is_now()
    {
        // The worker moves models on with bulk updates, which do not render the listed JSON: a
        // trigger clears it, the list renders such a row from its columns, and the renderer stores
        // it again. The update and the read share a transaction, so the renderer cannot step in between.
        var (client, ids) = await OrganizationWithModelsAsync(3);
        using (var scope = service.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            await using var transaction = await db.Database.BeginTransactionAsync();
            Assert.NotNull((await db.CustomModels.AsNoTracking().SingleAsync(m => m.Id == ids[1])).ListedJson); // rendered on create
            await db.CustomModels.Where(m => m.Id == ids[1]).ExecuteUpdateAsync(s => s
                .SetProperty(m => m.TrainingStatus, TrainingStatus.Running).SetProperty(m => m.TrainingProgress, 42)
                .SetProperty(m => m.StartedTrainingAt, new DateTime(2025, 3, 1, 9, 30, 0, DateTimeKind.Utc)));
            Assert.Null((await db.CustomModels.AsNoTracking().SingleAsync(m => m.Id == ids[1])).ListedJson);
            // A column the list does not show leaves it alone.
            await db.CustomModels.Where(m => m.Id == ids[2]).ExecuteUpdateAsync(s => s.SetProperty(m => m.ArtifactName, "a1"));
            Assert.NotNull((await db.CustomModels.AsNoTracking().SingleAsync(m => m.Id == ids[2])).ListedJson);
            await transaction.CommitAsync();
        }
        var listed = await (await client.GetAsync(Models)).AssertOkAsync();
        Assert.Equal(42, (int)listed["result"]![1]!["training_progress"]!);
        await AssertListedAsGotAsync(client, ids);

        // The renderer puts the row back on the fast path, with the same bytes.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var scope = service.Services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            var model = await db.CustomModels.AsNoTracking().SingleAsync(m => m.Id == ids[1]);
            if (model.ListedJson is not null)
            {
                Assert.Equal(ModelJson.Listed(model), model.ListedJson);
                break;
            }
            Assert.True(DateTime.UtcNow < deadline, "the renderer did not render the model");
            await Task.Delay(200);
        }
        await AssertListedAsGotAsync(client, ids);
    }

    [Fact]
    public async Task The_renderer_renders_models_written_without_listed_json_in_batches()
    {
        // Rows written by SQL from outside (a bulk load) or before the column existed have none.
        var (client, ids) = await OrganizationWithModelsAsync(ListedJsonRenderer.BatchSize / 100 + 3);
        using (var scope = service.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            await db.CustomModels.Where(m => ids.Contains(m.Id)).ExecuteUpdateAsync(s => s.SetProperty(m => m.ListedJson, (byte[]?)null));
        }
        await AssertListedAsGotAsync(client, ids); // rendered from the columns, or by the renderer meanwhile: the same bytes
        // Every cleared row is rendered again, by the batches here or by the process's own renderer
        // (which holds the rows it renders, and these batches skip those); what each row then holds
        // is pinned against GET just below.
        var until = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var scope = service.Services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            while (await ListedJsonRenderer.RenderBatchAsync(db, CancellationToken.None) > 0) { }
            if (!await db.CustomModels.AnyAsync(m => ids.Contains(m.Id) && m.ListedJson == null)) break;
            Assert.True(DateTime.UtcNow < until, "some models were never rendered again");
            await Task.Delay(100);
        }
        await AssertListedAsGotAsync(client, ids);
    }

}

public sealed class ModelListTestsOnSqlite(SqliteService fixture) : ModelListTests(fixture.Service), IClassFixture<SqliteService>;

public sealed class ModelListTestsOnPostgres(PostgresService fixture) : ModelListTests(fixture.Service), IClassFixture<PostgresService>
{
    readonly TestService service = fixture.Service;

    // SQLite has no such setting (a prepared statement keeps its plan): a PostgreSQL test only.
    [Fact]
    public async Task The_list_statements_are_planned_once_per_connection()
    {
        // Else PostgreSQL plans the list's page statement again on every request (see StorageSettings).
        using var scope = service.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        Assert.True(db.IsPostgres);
        var mode = await db.Database.SqlQueryRaw<string>("SELECT current_setting('plan_cache_mode') AS \"Value\"").SingleAsync();
        Assert.Equal("force_generic_plan", mode);
    }

    [Fact]
    public async Task A_rename_while_a_training_ends_leaves_the_list_entry_as_get_shows_the_model()
    {
        var client = (await service.CreateOrganizationAsync()).Client();
        var id = (long)(await client.CreateModelAsync())["id"]!;
        using var scope = service.Services.CreateScope();
        var worker = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        // The training ends (the worker's update of the row) and has not committed when the rename comes.
        await using (var ending = await worker.Database.BeginTransactionAsync())
        {
            await worker.CustomModels.Where(m => m.Id == id).ExecuteUpdateAsync(s => s
                .SetProperty(m => m.TrainingStatus, TrainingStatus.Failed).SetProperty(m => m.TrainingError, "the training ended meanwhile")
                .SetProperty(m => m.FailedAt, DateTime.UtcNow));
            var rename = client.PatchAsync($"{Models}/{id}", Http.Json(new { name = "renamed meanwhile" }));
            // The rename waits for the row (whether before its read or only at its save is what this test tells apart).
            await using (var watching = service.Services.CreateAsyncScope())
            {
                var watcher = watching.ServiceProvider.GetRequiredService<AppDbContext>();
                var until = DateTime.UtcNow.AddSeconds(60);
                while (await watcher.Database.SqlQueryRaw<int>(
                           "SELECT COUNT(*)::int AS \"Value\" FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").SingleAsync() == 0)
                {
                    Assert.True(DateTime.UtcNow < until, "the rename never waited for the row");
                    await Task.Delay(50);
                }
            }
            await ending.CommitAsync();
            await (await rename).AssertOkAsync();
        }
        var got = await client.GetModelAsync(id);
        Assert.Equal((5, "renamed meanwhile"), ((int)got["training_status"]!, (string?)got["name"]));
        await AssertListedAsGotAsync(client, [id]);
    }
}
