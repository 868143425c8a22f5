using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using CustomModels.Core.Access;
using CustomModels.Core.Data;
using CustomModels.Core.Models;

namespace CustomModels.Api.Tests.Infrastructure;

/// <summary>
/// The service as a separate OS process (`custom-models serve`, or `custom-models worker`), so a
/// test can kill it with SIGKILL. The environment names the data folder; CUSTOMMODELS_DATABASE
/// and the rest come from <c>environment</c> (SQLite in the data folder without it).
/// </summary>
public sealed class ServiceProcess : IDisposable
{
    readonly Process process;
    readonly Uri? baseAddress;
    readonly List<string> output = [];

    ServiceProcess(Process process, Uri? baseAddress)
    {
        this.process = process;
        this.baseAddress = baseAddress;
    }

    /// <summary>Where `serve` listens.</summary>
    public Uri BaseAddress => baseAddress ?? throw new InvalidOperationException("a worker serves no HTTP");

    public int ProcessId => process.Id;

    public string Output { get { lock (output) return string.Join('\n', output); } }

    static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    public static async Task<ServiceProcess> StartAsync(string dataDirectory, IReadOnlyDictionary<string, string>? environment = null, params string[] extraArgs)
    {
        var port = FreePort();
        var service = Launch(dataDirectory, environment, new Uri($"http://127.0.0.1:{port}"),
            ["serve", "--urls", $"http://127.0.0.1:{port}", .. extraArgs]);
        using var probe = new HttpClient { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        // A deadline, not a count: on a loaded machine several processes starting at once take a while.
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (service.process.HasExited) throw new InvalidOperationException("the service exited: " + service.Output);
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

    /// <summary>`custom-models worker`, returned once its host has started (its schema migrated, its loops running).</summary>
    public static async Task<ServiceProcess> StartWorkerAsync(string dataDirectory, IReadOnlyDictionary<string, string>? environment = null)
    {
        var worker = Launch(dataDirectory, environment, null, ["worker"]);
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (worker.process.HasExited) throw new InvalidOperationException("the worker exited: " + worker.Output);
            if (worker.Output.Contains("Application started")) return worker;
            await Task.Delay(250);
        }
        worker.Dispose();
        throw new TimeoutException("the worker did not start: " + worker.Output);
    }

    static ServiceProcess Launch(string dataDirectory, IReadOnlyDictionary<string, string>? environment, Uri? baseAddress, string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "custom-models.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["CUSTOMMODELS_DATA_DIR"] = dataDirectory;
        start.Environment.Remove("CUSTOMMODELS_DATABASE");
        start.Environment.Remove("CUSTOMMODELS_REDIS");
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) start.Environment[k] = v;
        var process = Process.Start(start)!;
        var service = new ServiceProcess(process, baseAddress);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (service.output) service.output.Add(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (service.output) service.output.Add(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return service;
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
        var org = await Organizations.CreateAsync(db, "org-" + Guid.NewGuid().ToString("N"));
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
