namespace CustomModels.Speech.Acoustic;

/// <summary>What a sphinxtrain or sphinxbase tool printed (standard output and error, interleaved as read) and its exit code.</summary>
internal sealed record ToolRun(string Tool, int ExitCode, IReadOnlyList<string> Lines)
{
    /// <summary>Lines that report a problem ("ERROR: …", "FATAL: …", "FATAL_ERROR: …").</summary>
    public IEnumerable<string> Errors => Lines.Where(l => l.StartsWith("ERROR", StringComparison.Ordinal) || l.StartsWith("FATAL", StringComparison.Ordinal));

    public IEnumerable<string> Warnings => Lines.Where(l => l.StartsWith("WARN", StringComparison.Ordinal));
}

/// <summary>
/// Runs the command-line tools of sphinxtrain (bw, mllr_solve, map_adapt) and sphinxbase
/// (sphinx_fe, pocketsphinx_mdef_convert) with an argument list (no shell). Cancellation kills
/// the tool at once. A tool that exits with an error throws <see cref="AcousticAdaptationException"/>
/// with its first error line; the callers read the lines of a tool that succeeded for the
/// failures it reports without failing (bw skips an utterance it cannot align).
/// </summary>
internal static class SphinxTool
{
    /// <summary>Where Debian's sphinxtrain puts its programs (they are not on the PATH).</summary>
    public const string SphinxTrainDirectory = "/usr/lib/sphinxtrain";

    // bw prints some lines per utterance: enough to keep whole for a few thousand recordings, and
    // bounded beyond that (the lines that report problems are kept whatever the count).
    const int MaxLinesKept = 200_000;

    public static string SphinxTrain(string tool) => Path.Combine(SphinxTrainDirectory, tool);

    public static async Task<ToolRun> RunAsync(string program, IEnumerable<string> arguments, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var name = Path.GetFileName(program);
        using (var process = ToolProcess.Start(program, arguments, "sphinxtrain and sphinxbase-utils: see scripts/install-deps.sh"))
        {
            var lines = new List<string>();
            async Task Pump(StreamReader reader)
            {
                while (await reader.ReadLineAsync(CancellationToken.None) is { } line)
                {
                    lock (lines)
                    {
                        if (lines.Count < MaxLinesKept || line.StartsWith("ERROR", StringComparison.Ordinal)
                            || line.StartsWith("FATAL", StringComparison.Ordinal))
                            lines.Add(line);
                    }
                }
            }
            var pumps = Task.WhenAll(Pump(process.StandardOutput), Pump(process.StandardError));
            await using (ct.Register(() => ToolProcess.Kill(process)))
            {
                try
                {
                    await process.WaitForExitAsync(ct);
                }
                catch (OperationCanceledException)
                {
                    await ToolProcess.KillAndWaitAsync(process);
                    throw;
                }
                await pumps;
            }
            ct.ThrowIfCancellationRequested();
            var run = new ToolRun(name, process.ExitCode, lines);
            if (run.ExitCode != 0)
                throw new AcousticAdaptationException(
                    $"{name} failed (exit code {run.ExitCode}): {run.Errors.FirstOrDefault() ?? lines.LastOrDefault() ?? "no output"}");
            return run;
        }
    }
}

/// <summary>Acoustic adaptation could not be done, with a reason a user can act on.</summary>
public sealed class AcousticAdaptationException(string message) : Exception(message);
