using System.Diagnostics;

namespace CustomModels.Speech.Tests.Audio;

/// <summary>Runs the ffmpeg command line to make test audio; a failure fails the test with ffmpeg's own message.</summary>
internal static class FfmpegTool
{
    public static async Task RunAsync(params string[] arguments)
    {
        var startInfo = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true };
        foreach (var argument in new[] { "-nostdin", "-y", "-loglevel", "error" }.Concat(arguments)) startInfo.ArgumentList.Add(argument);
        using var process = Process.Start(startInfo)!;
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, errors);
    }
}
