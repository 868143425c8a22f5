using System.Text;
using CustomModels.Api.Tests.Infrastructure;

namespace CustomModels.Api.Tests.Access;

/// <summary>API keys appear once, to the operator who creates them: never in the database, never in a log.</summary>
public sealed class SecretsTests : IDisposable
{
    readonly string dataDir = Path.Combine(Path.GetTempPath(), "custom-models-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(dataDir, true); } catch (IOException) { }
    }

    async Task<string> RunCliAsync(params string[] args)
    {
        var run = await CliProcess.RunAsync(dataDir, null, args);
        Assert.Equal(0, run.Exit);
        return run.Out;
    }

    [Fact]
    public async Task Keys_in_use_appear_in_neither_the_database_files_nor_the_service_log()
    {
        await RunCliAsync("orgs", "create", "secretive");
        var keys = new List<string>();
        for (var i = 0; i < 3; i++)
            keys.Add((await RunCliAsync("keys", "create", "--org", "secretive", "--scopes", "custom_models:read,custom_models:write"))
                .TrimEnd().Split('\n').Last().Trim());

        // Request logging is off by default; an operator can turn it on, and then it must not leak keys either.
        var requestLogging = new Dictionary<string, string> { ["Logging__LogLevel__Microsoft.AspNetCore"] = "Information" };
        using (var service = await ServiceProcess.StartAsync(dataDir, requestLogging))
        {
            foreach (var key in keys)
            {
                var client = new HttpClient { BaseAddress = service.BaseAddress };
                client.DefaultRequestHeaders.Authorization = new("Bearer", key);
                await client.CreateModelAsync();
                await (await client.GetAsync("/api/v3/custom_models")).AssertOkAsync();
                // A wrong key that shares a real prefix is refused without echoing it.
                var forged = new HttpClient { BaseAddress = service.BaseAddress };
                forged.DefaultRequestHeaders.Authorization = new("Bearer", key[..^3] + "zzz");
                await (await forged.GetAsync("/api/v3/custom_models")).AssertErrorAsync(System.Net.HttpStatusCode.Unauthorized, "INVALID_API_KEY");
            }
            await RunCliAsync("keys", "revoke", keys[0]);
            var log = service.Output;
            Assert.Contains("Request finished", log); // the log was captured, with the requests
            foreach (var key in keys)
            {
                var secret = KeyText.SecretOf(key);
                Assert.DoesNotContain(secret, log);
            }
        }

        var listed = await RunCliAsync("keys", "list", "--org", "secretive");
        foreach (var file in Directory.EnumerateFiles(dataDir, "*", SearchOption.AllDirectories))
        {
            var bytes = Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file));
            foreach (var key in keys)
            {
                var secret = KeyText.SecretOf(key);
                Assert.DoesNotContain(secret, bytes);
                Assert.DoesNotContain(secret, listed);
            }
        }
    }
}
