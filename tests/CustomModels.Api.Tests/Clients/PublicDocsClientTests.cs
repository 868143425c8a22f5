using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using CustomModels.Api.Tests.Infrastructure;

namespace CustomModels.Api.Tests.Clients;

/// <summary>
/// The public "List Custom Models" page's own Python (requests) and JavaScript (axios) examples,
/// kept in tests/clients with only the base URL and the API key changed, run as child processes
/// against the real service. `scripts/install-deps.sh` installs python3-requests and axios.
/// </summary>
public sealed class PublicDocsClientTests(SqliteService fixture) : IClassFixture<SqliteService>
{
    const string Models = "/api/v3/custom_models";
    const int Kept = 230;

    TestService Service => fixture.Service;

    static readonly string RepoRoot = FindRepoRoot();
    static readonly string ClientsDir = Path.Combine(RepoRoot, "tests", "clients");

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CustomModels.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"no CustomModels.slnx above {AppContext.BaseDirectory}");
    }

    /// <summary>
    /// A fresh organization with 230 models (233 created, 3 deleted through the API), so paging by
    /// 100 takes three pages: 100, 100, 30. Model i is nl when i%3==0 (else en), medical when
    /// i%2==0 (else legal). All stay at status 1: the API has no way yet to move a model on.
    /// Returns the kept models as the service answered them at create, in id order.
    /// </summary>
    async Task<(TestOrganization Org, List<JsonObject> Models)> OrganizationWith230ModelsAsync()
    {
        var org = await Service.CreateOrganizationAsync();
        var client = org.Client();
        var created = new List<JsonObject>();
        for (var i = 0; i < Kept + 3; i++)
            created.Add(await client.CreateModelAsync(name: $"model {i:000}", language: i % 3 == 0 ? "nl" : "en",
                baseModel: i % 2 == 0 ? "medical" : "legal"));
        foreach (var gone in new[] { created[0], created[101], created[^1] })
        {
            Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"{Models}/{(long)gone["id"]!}")).StatusCode);
            created.Remove(gone);
        }
        Assert.Equal(Kept, created.Count);
        var all = await (await client.GetAsync($"{Models}?per_page=1")).AssertOkAsync();
        Assert.Equal(Kept, (long)all["total_results"]!);
        return (org, created);
    }

    static async Task<(int Exit, string[] Lines, string Err)> RunAsync(TestOrganization org, string program, string script)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoRoot,
        };
        start.ArgumentList.Add(Path.Combine("tests", "clients", script));
        start.Environment["CUSTOMMODELS_BASE_URL"] = org.Service.BaseAddress.ToString().TrimEnd('/');
        start.Environment["CUSTOMMODELS_API_KEY"] = org.Key;
        start.Environment["NO_PROXY"] = start.Environment["no_proxy"] = "127.0.0.1,localhost";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {script} did not finish in 2 minutes");
        }
        var lines = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        return (process.ExitCode, lines, await stderr);
    }

    [Fact]
    public async Task The_python_example_pages_by_100_until_a_short_page_and_gets_every_model_once()
    {
        var (org, _) = await OrganizationWith230ModelsAsync();
        var completed = await (await org.Client().GetAsync($"{Models}?status=4&per_page=1")).AssertOkAsync();

        var run = await RunAsync(org, "python3", "list_models.py");

        Assert.True(run.Exit == 0, $"exit {run.Exit}: {run.Err}");
        Assert.Equal(
            [$"Total models: {Kept}", $"Completed models: {(long)completed["total_results"]!}", $"Distinct models: {Kept}"],
            run.Lines);
    }

    [Fact]
    public async Task The_javascript_example_prints_the_english_total_and_the_first_page_of_25()
    {
        Assert.True(Directory.Exists(Path.Combine(ClientsDir, "node_modules", "axios")),
            "axios is not installed in tests/clients: run scripts/install-deps.sh");
        var (org, models) = await OrganizationWith230ModelsAsync();
        var english = models.Where(m => (string?)m["language"] == "en").ToList();
        var englishMedical = english.Where(m => (string?)m["base_model"] == "medical").ToList();

        var run = await RunAsync(org, "node", "list_models.js");

        Assert.True(run.Exit == 0, $"exit {run.Exit}: {run.Err}");
        // The example says "English medical" and passes base_model, but its listModels sends only
        // page, per_page, status and language: the service is asked for every English model.
        Assert.Equal(153, english.Count);
        Assert.NotEqual(english.Count, englishMedical.Count);
        Assert.Equal(
            [$"Found {english.Count} models", .. english.Take(25).Select(m => $"{m["name"]} - Status: {m["status_message"]}")],
            run.Lines);
        Assert.All(english.Take(25), m => Assert.Equal("Model created. Upload training data to begin.", (string?)m["status_message"]));
    }

    [Fact]
    public async Task The_python_page_navigation_snippet_sends_no_key_so_the_service_answers_401_and_it_fails()
    {
        var org = await Service.CreateOrganizationAsync();
        await org.Client().CreateModelAsync();

        var run = await RunAsync(org, "python3", "navigate_pages.py");

        // As published the snippet calls requests.get(url, params=...) without headers=headers:
        // the 401 body has no total_results, so the snippet stops at data['total_results'].
        Assert.NotEqual(0, run.Exit);
        Assert.Empty(run.Lines);
        Assert.Contains("KeyError: 'total_results'", run.Err);
        await (await Service.Client(null).GetAsync($"{Models}?page=1&per_page=25"))
            .AssertErrorAsync(HttpStatusCode.Unauthorized, "MISSING_API_KEY");
    }
}
