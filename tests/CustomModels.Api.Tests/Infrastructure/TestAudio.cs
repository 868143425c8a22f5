using System.Diagnostics;

namespace CustomModels.Api.Tests.Infrastructure;

/// <summary>
/// Real speech for the tests: the cardiology dictation corpus of tests/data/cardiology, synthesized
/// once per machine with festival by scripts/synthesize-cardiology.sh (a cache under /tmp), and
/// the librivox recordings of Debian's pocketsphinx-testdata.
/// </summary>
public static class TestAudio
{
    static readonly SemaphoreSlim Once = new(1, 1);
    static readonly Dictionary<string, string> cardiology = [];

    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CustomModels.slnx"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
        }
    }

    /// <summary>
    /// A folder with train_01.wav/.txt … train_60 and test_01 … test_15, in festival's us-slt voice
    /// at 16 kHz (<paramref name="voice"/> "slt"), or its kal diphone voice at 8 kHz ("kal8k", a telephone channel).
    /// </summary>
    public static async Task<string> CardiologyAsync(string voice = "slt")
    {
        await Once.WaitAsync();
        try
        {
            if (cardiology.TryGetValue(voice, out var cached)) return cached;
            var output = Path.Combine(Path.GetTempPath(), voice == "slt" ? "custom-models-cardiology-audio" : $"custom-models-cardiology-{voice}");
            var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(Path.Combine(RepositoryRoot, "scripts", "synthesize-cardiology.sh"));
            start.ArgumentList.Add(output);
            start.ArgumentList.Add(voice);
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0) throw new InvalidOperationException("synthesizing the cardiology corpus failed: " + await stderr);
            return cardiology[voice] = output;
        }
        finally
        {
            Once.Release();
        }
    }

    public const string Librivox = "/usr/share/pocketsphinx/test/data/librivox";
}
