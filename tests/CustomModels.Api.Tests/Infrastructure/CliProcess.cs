using System.Diagnostics;

namespace CustomModels.Api.Tests.Infrastructure;

/// <summary>The service's executable run once as an operator runs it, on a SQLite data folder.</summary>
public static class CliProcess
{
    /// <summary>Runs `custom-models <paramref name="args"/>` with <paramref name="environment"/> added; its exit code and output.</summary>
    public static async Task<(int Exit, string Out, string Err)> RunAsync(
        string dataDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "custom-models.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["CUSTOMMODELS_DATA_DIR"] = dataDirectory;
        start.Environment.Remove("CUSTOMMODELS_DATABASE");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }
}
