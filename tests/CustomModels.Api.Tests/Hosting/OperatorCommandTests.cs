using System.Net;
using CustomModels.Api.Hosting;
using CustomModels.Api.Tests.Infrastructure;
using CustomModels.Core.Data;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace CustomModels.Api.Tests.Hosting;

/// <summary>The operator commands run as the real executable, against the data folder of a real service.</summary>
public sealed class OperatorCommandTests : IAsyncLifetime
{
    readonly string dataDir = Path.Combine(Path.GetTempPath(), "custom-models-tests", Guid.NewGuid().ToString("N"));

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        try { Directory.Delete(dataDir, true); } catch (IOException) { }
        return Task.CompletedTask;
    }

    Task<(int Exit, string Out, string Err)> RunAsync(params string[] args) => CliProcess.RunAsync(dataDir, null, args);

    Task<(int Exit, string Out, string Err)> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        CliProcess.RunAsync(dataDir, environment, args);

    [Fact]
    public async Task Keys_created_listed_and_revoked_by_the_commands_work_against_the_service()
    {
        var org = await RunAsync("orgs", "create", "Acme Cardiology");
        Assert.True(org.Exit == 0, org.Err);
        Assert.Matches(@"^\d+\s*$", org.Out);

        var created = await RunAsync("keys", "create", "--org", "Acme Cardiology", "--scopes", "custom_models:read,custom_models:write", "--requests-per-minute", "7");
        Assert.True(created.Exit == 0, created.Err);
        var key = created.Out.TrimEnd().Split('\n').Last().Trim();
        Assert.StartsWith("cmk_", key);

        var listed = await RunAsync("keys", "list", "--org", "Acme Cardiology");
        Assert.Contains("custom_models:read,custom_models:write\t7\t10", listed.Out);
        Assert.DoesNotContain(key, listed.Out);

        var options = new ServiceOptions { Storage = StorageSettings.Create(dataDir, null), Urls = "http://127.0.0.1:0", CreateFirstKey = true, Output = TextWriter.Null };
        await using var app = ServiceApp.Build(options);
        await ServiceApp.PrepareDatabaseAsync(app, options);
        await app.StartAsync();
        var client = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        var response = await client.GetAsync("/api/v3/custom_models");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("7", response.Headers.GetValues("X-RateLimit-Limit").Single());

        var revoked = await RunAsync("keys", "revoke", key);
        Assert.True(revoked.Exit == 0, revoked.Err);
        await (await client.GetAsync("/api/v3/custom_models")).AssertErrorAsync(HttpStatusCode.Unauthorized, "KEY_REVOKED");
        await app.StopAsync();
    }

    [Fact]
    public async Task A_key_is_revoked_by_the_prefix_that_keys_list_prints()
    {
        Assert.Equal(0, (await RunAsync("orgs", "create", "acme")).Exit);
        var created = await RunAsync("keys", "create", "--org", "acme", "--scopes", "custom_models:read");
        var key = created.Out.TrimEnd().Split('\n').Last().Trim();
        var listed = await RunAsync("keys", "list", "--org", "acme");
        var row = listed.Out.TrimEnd().Split('\n').Last().Split('\t');
        Assert.StartsWith("cmk_", row[1]);
        Assert.StartsWith(row[1] + "_", key);

        var revoked = await RunAsync("keys", "revoke", row[1]);
        Assert.True(revoked.Exit == 0, revoked.Err);
        Assert.NotEqual("-", (await RunAsync("keys", "list", "--org", "acme")).Out.TrimEnd().Split('\n').Last().Split('\t')[6]);
    }

    [Fact]
    public async Task Bad_arguments_are_a_message_and_a_nonzero_exit()
    {
        Assert.Equal(2, (await RunAsync("keys", "create", "--org", "nobody", "--scopes", "custom_models:read")).Exit);
        await RunAsync("orgs", "create", "acme");
        var badScope = await RunAsync("keys", "create", "--org", "acme", "--scopes", "everything");
        Assert.Equal(2, badScope.Exit);
        Assert.Contains("unknown scope", badScope.Err);
        Assert.Equal(2, (await RunAsync("orgs", "create", "acme")).Exit);
        Assert.Equal(2, (await RunAsync("keys", "revoke", "cmk_nothing")).Exit);
    }

    [Theory]
    [InlineData("CUSTOMMODELS_READ_CONNECTIONS", "lots", "serve")]
    [InlineData("CUSTOMMODELS_READ_CONNECTIONS", "0", "orgs")]
    [InlineData("CUSTOMMODELS_DATABASE", "Host=db.internal;Maximum Pool Size=many", "serve")]
    [InlineData("CUSTOMMODELS_DATABASE", "Data Source=x.db;Colour=blue", "orgs")]
    [InlineData("CUSTOMMODELS_TRANSCRIPTION_WORKERS", "lots", "serve")]
    [InlineData("CUSTOMMODELS_TRAINING_MEMORY_MB", "lots", "serve")]
    [InlineData("CUSTOMMODELS_TRAINING_LEASE_SECONDS", "0", "worker")]
    [InlineData("CUSTOMMODELS_MAX_UPLOAD_BYTES", "2GB", "serve")]
    [InlineData("CUSTOMMODELS_MAX_AUDIO_SECONDS", "forever", "worker")]
    [InlineData("CUSTOMMODELS_WEBHOOK_PARALLEL", "-1", "serve")]
    [InlineData("CUSTOMMODELS_TEMP_ABANDONED_SECONDS", "lots", "serve")]
    [InlineData("CUSTOMMODELS_ORPHAN_GRACE_SECONDS", "0", "worker")]
    [InlineData("CUSTOMMODELS_REDIS", "127.0.0.1:6379,colour=blue", "serve")]
    public async Task A_bad_setting_is_one_line_naming_it_and_exit_code_2(string variable, string value, string command)
    {
        string[] args = command switch
        {
            "serve" => ["serve", "--urls", "http://127.0.0.1:0"],
            "worker" => ["worker"],
            _ => ["orgs", "create", "acme"],
        };
        var run = await RunAsync(new Dictionary<string, string> { [variable] = value }, args);
        Assert.Equal(2, run.Exit);
        Assert.StartsWith($"error: {variable} ", run.Err);
        Assert.Single(run.Err.TrimEnd().Split('\n'));
        Assert.False(Directory.Exists(dataDir), "nothing is created before the settings are read");
    }

    [Fact]
    public async Task A_fresh_database_gets_a_first_organization_and_key_printed_once()
    {
        var output = new StringWriter();
        var options = new ServiceOptions { Storage = StorageSettings.Create(dataDir, null), Urls = "http://127.0.0.1:0", Output = output };
        await using var app = ServiceApp.Build(options);
        await ServiceApp.PrepareDatabaseAsync(app, options);
        var key = output.ToString().TrimEnd().Split('\n').Last().Trim();
        Assert.StartsWith("cmk_", key);

        var again = new StringWriter();
        await ServiceApp.PrepareDatabaseAsync(app, options with { Output = again });
        Assert.Equal("", again.ToString());

        await app.StartAsync();
        var client = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        await (await client.PostAsync("/api/v3/custom_models", Http.Json(new { name = "first", language = "en" }))).AssertOkAsync(HttpStatusCode.Created);
        await app.StopAsync();
    }
}
