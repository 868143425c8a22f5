using System.Diagnostics;
using System.Text;

namespace CustomModels.Speech.Audio;

/// <summary>
/// Runs ffprobe/ffmpeg with an argument list (no shell) and keeps the tail of stderr for error
/// messages. Cancellation kills the process tree.
/// </summary>
internal sealed class FfmpegProcess : IAsyncDisposable
{
    private const int StderrTailLength = 4000;
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly Task _stderrPump;
    private readonly CancellationTokenRegistration _killOnCancel;

    private FfmpegProcess(Process process, CancellationToken cancellationToken)
    {
        _process = process;
        _stderrPump = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(line);
                    if (_stderr.Length > StderrTailLength) _stderr.Remove(0, _stderr.Length - StderrTailLength);
                }
            }
        });
        _killOnCancel = cancellationToken.Register(Kill);
    }

    public static FfmpegProcess Start(string program, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var process = ToolProcess.Start(program, arguments, "see scripts/install-deps.sh");
        return new FfmpegProcess(process, cancellationToken);
    }

    public Stream StandardOutput => _process.StandardOutput.BaseStream;

    public string StderrTail
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    /// <summary>Waits for exit; returns the exit code, or throws if cancelled (the process is killed then).</summary>
    public async Task<int> WaitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken);
        await _stderrPump;
        return _process.ExitCode;
    }

    private void Kill() => ToolProcess.Kill(_process);

    public async ValueTask DisposeAsync()
    {
        await _killOnCancel.DisposeAsync();
        Kill();
        try { await _stderrPump; } catch (IOException) { }
        _process.Dispose();
    }
}
