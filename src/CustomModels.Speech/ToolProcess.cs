using System.Diagnostics;

namespace CustomModels.Speech;

/// <summary>
/// Starting and stopping the command-line tools the speech engine runs (ffmpeg, ffprobe, the
/// sphinxtrain and sphinxbase tools): an argument list and no shell, so nothing a user uploaded
/// is ever read as a command; standard output and error redirected; standard input closed.
/// </summary>
internal static class ToolProcess
{
    /// <param name="installHint">What to install when the program is missing, for the error message.</param>
    public static Process Start(string program, IEnumerable<string> arguments, string installHint)
    {
        var startInfo = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) startInfo.ArgumentList.Add(argument);
        var name = Path.GetFileName(program);
        Process process;
        try
        {
            process = Process.Start(startInfo) ?? throw new InvalidOperationException($"{name} did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{name} is not installed ({installHint})", e);
        }
        process.StandardInput.Close();
        return process;
    }

    /// <summary>
    /// Kills the process and its children and waits (up to ten seconds) until it has exited, so a
    /// cancelled step leaves nothing running behind it: a killed process can take a moment to
    /// exit (tearing down a large address space) after the signal is sent.
    /// </summary>
    public static async Task KillAndWaitAsync(Process process)
    {
        Kill(process);
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(patience.Token);
        }
        catch (OperationCanceledException)
        {
            // Stuck in the kernel: leave it, the caller's own cancellation must not wait forever.
        }
    }

    /// <summary>Kills the process and its children, if it is still running.</summary>
    public static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
    }
}
