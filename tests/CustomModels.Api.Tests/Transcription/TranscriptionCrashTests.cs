using System.Diagnostics;
using CustomModels.Api.Tests.Infrastructure;

namespace CustomModels.Api.Tests.Transcription;

/// <summary>Minutes of audio, decoded in pieces with real progress; a service killed mid-way finishes the job after a restart.</summary>
public sealed class TranscriptionCrashTests : IDisposable
{
    readonly string dataDir = Path.Combine(Path.GetTempPath(), "custom-models-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(dataDir, true); } catch (IOException) { }
    }

    /// <summary>The five librivox sentences, eight times over, as one WAV file of about 200 s (sox).</summary>
    async Task<string> LongRecordingAsync()
    {
        Directory.CreateDirectory(dataDir);
        var path = Path.Combine(dataDir, "long-recording.wav");
        var start = new ProcessStartInfo("sox") { RedirectStandardError = true };
        var sentences = File.ReadAllLines(Path.Combine(TestAudio.Librivox, "fileids")).Where(l => l.Length > 0).ToList();
        for (var i = 0; i < 8; i++)
            foreach (var id in sentences) start.ArgumentList.Add(Path.Combine(TestAudio.Librivox, id + ".wav"));
        start.ArgumentList.Add(path);
        using var sox = Process.Start(start)!;
        var error = await sox.StandardError.ReadToEndAsync();
        await sox.WaitForExitAsync();
        Assert.True(sox.ExitCode == 0, error);
        return path;
    }

    [Fact]
    public async Task A_long_transcription_interrupted_by_a_kill_completes_after_a_restart()
    {
        var audio = await LongRecordingAsync();
        var environment = new Dictionary<string, string> { ["CUSTOMMODELS_TRANSCRIPTION_LEASE_SECONDS"] = "3" };
        var key = await ServiceProcess.CreateUnlimitedKeyAsync(dataDir);

        string id;
        double duration;
        using (var first = await ServiceProcess.StartAsync(dataDir, environment))
        {
            var client = new HttpClient { BaseAddress = first.BaseAddress };
            client.DefaultRequestHeaders.Authorization = new("Bearer", key);
            var created = await client.TranscribeAsync(audio);
            id = (string)created["id"]!;
            duration = (double)created["duration_seconds"]!;
            Assert.InRange(duration, 190, 210);
            // Progress is the audio decoded so far: it moves before the job ends.
            var mid = await client.WaitTranscriptionAsync(id, until: s => (double?)s["progress"] > 0);
            Assert.True((string?)mid["status"] == "processing", mid.ToJsonString());
            Assert.InRange((double)mid["progress"]!, 0.1, 99.9);
            Assert.Equal(Math.Round(100 * (double)mid["decoded_seconds"]! / duration, 1), (double)mid["progress"]!, 1);
            first.Kill();
        }

        using var second = await ServiceProcess.StartAsync(dataDir, environment);
        var again = new HttpClient { BaseAddress = second.BaseAddress };
        again.DefaultRequestHeaders.Authorization = new("Bearer", key);
        var done = await again.WaitTranscriptionAsync(id, timeoutSeconds: 300);
        Assert.True((string?)done["status"] == "done", done.ToJsonString() + "\n" + second.Output);

        // The words cover the whole recording, in order, cut into many segments.
        var result = await again.ResultAsync(id);
        var segments = result["segments"]!.AsArray();
        Assert.True(segments.Count >= 16, $"{segments.Count} segments");
        var words = segments.SelectMany(s => s!["words"]!.AsArray()).ToList();
        Assert.True(words.Count > 300, $"{words.Count} words");
        Assert.InRange((double)words[^1]!["end"]!, duration - 5, duration + 0.05);
        Assert.True(words.Zip(words.Skip(1)).All(p => (double)p.Second!["start"]! >= (double)p.First!["end"]! - 0.011));
    }
}
