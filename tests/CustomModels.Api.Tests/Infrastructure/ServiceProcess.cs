using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using CustomModels.Core.Access;
using CustomModels.Core.Data;
using CustomModels.Core.Models;

namespace CustomModels.Api.Tests.Infrastructure;

/// <summary>The service as a separate OS process (`custom-models serve`), so a test can kill it with SIGKILL.</summary>
public sealed class ServiceProcess : IDisposable
{
    readonly Process process;
    readonly List<string> output = [];

    ServiceProcess(Process process, Uri baseAddress)
    {
        this.process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public string Output { get { lock (output) return string.Join('\n', output); } }

    public static async Task<ServiceProcess> StartAsync(string dataDirectory, IReadOnlyDictionary<string, string>? environment = null, params string[] extraArgs)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "custom-models.dll"));
        foreach (var a in new[] { "serve", "--urls", $"http://127.0.0.1:{port}" }.Concat(extraArgs)) start.ArgumentList.Add(a);
        start.Environment["CUSTOMMODELS_DATA_DIR"] = dataDirectory;
        start.Environment.Remove("CUSTOMMODELS_DATABASE");
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) start.Environment[k] = v;
        var process = Process.Start(start)!;
        var service = new ServiceProcess(process, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (service.output) service.output.Add(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (service.output) service.output.Add(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var probe = new HttpClient { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 120; i++)
        {
            if (process.HasExited) throw new InvalidOperationException("the service exited: " + service.Output);
            try
            {
                if ((await probe.GetAsync("/healthz")).StatusCode == HttpStatusCode.OK) return service;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(250);
        }
        service.Dispose();
        throw new TimeoutException("the service did not start: " + service.Output);
    }

    /// <summary>
    /// Before the first start: an up-to-date database in <paramref name="dataDirectory"/> with one
    /// organization and an all-scopes key without limits (the process then creates no first key).
    /// </summary>
    public static async Task<string> CreateUnlimitedKeyAsync(string dataDirectory)
    {
        var storage = StorageSettings.Create(dataDirectory, null);
        await using var db = Database.Open(storage);
        await Database.MigrateAsync(db, storage);
        var org = await ApiKeys.CreateOrganizationAsync(db, "org-" + Guid.NewGuid().ToString("N"));
        return (await ApiKeys.CreateKeyAsync(db, org.Id, Scopes.All, 0, 0)).Key;
    }

    /// <summary>SIGKILL: no shutdown code runs, as when a machine dies.</summary>
    public void Kill()
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    public void Dispose()
    {
        Kill();
        process.Dispose();
    }

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
