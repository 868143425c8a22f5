using System.Net;
using System.Net.Sockets;
using System.Text;
using CustomModels.Api.Tests.Hostile;
using CustomModels.Api.Tests.Infrastructure;

namespace CustomModels.Api.Tests.Hosting;

/// <summary>
/// Processes killed in the middle of an upload leave no file and no row behind, and a sweep of the
/// temporary area never takes an upload that a live process is still receiving.
/// </summary>
public sealed class UploadCrashTests : IDisposable
{
    /// <summary>
    /// Short, so that a dead process's temporary files are swept within seconds; a live process
    /// touches its folder every second, so even a loaded machine that stalls it for a moment does not lose it.
    /// </summary>
    const int AbandonedSeconds = 4;
    static readonly Dictionary<string, string> Environment = new() { ["CUSTOMMODELS_TEMP_ABANDONED_SECONDS"] = AbandonedSeconds.ToString() };

    readonly string dataDir = Path.Combine(Path.GetTempPath(), "custom-models-tests", Guid.NewGuid().ToString("N"));
    string TempDir => Path.Combine(dataDir, "tmp");

    public void Dispose()
    {
        try { Directory.Delete(dataDir, true); } catch (IOException) { }
    }

    /// <summary>The five librivox recordings with their transcripts.</summary>
    static List<(string Audio, string Text)> Librivox() =>
        File.ReadAllLines(Path.Combine(TestAudio.Librivox, "transcription")).Where(l => l.Length > 0).Select(line =>
        {
            var id = line[(line.LastIndexOf('(') + 1)..line.LastIndexOf(')')];
            return (Path.Combine(TestAudio.Librivox, id + ".wav"), line[..line.LastIndexOf('(')].Replace("<s>", "").Replace("</s>", "").Trim());
        }).ToList();

    [Fact]
    public async Task A_kill_mid_upload_leaves_no_file_and_no_row_and_keeps_what_was_acknowledged()
    {
        var key = await ServiceProcess.CreateUnlimitedKeyAsync(dataDir);
        string modelBefore, dataBefore, sttBefore;
        SortedDictionary<string, string> filesBefore;
        long modelId;
        using (var first = await ServiceProcess.StartAsync(dataDir, Environment))
        {
            var client = Client(first, key);
            modelId = (long)(await client.CreateModelAsync())["id"]!;
            // Acknowledged before the kill: a trained model (its metrics include training_hours), a text
            // uploaded after the training, and a finished transcription.
            foreach (var (audio, text) in Librivox())
            {
                var transcript = Path.Combine(dataDir, "pair.txt");
                await File.WriteAllTextAsync(transcript, text);
                await client.UploadPairAsync(modelId, "train", audio, transcript);
                File.Delete(transcript);
            }
            await client.RunAsync(modelId);
            var trained = await client.WaitAsync(modelId);
            Assert.True((int)trained["training_status"]! == 4, trained.ToJsonString() + "\n" + first.Output);
            Assert.NotNull(trained["training_metrics"]!["training_hours"]);
            var letters = new MultipartFormDataContent { { new StringContent("train"), "type" } };
            letters.Add(new StringContent("the patient was started on metoprolol"), "transcript_file", "letters.txt");
            await (await client.PutAsync($"{TrainingClient.Models}/{modelId}/data", letters)).AssertOkAsync();
            var stt = await client.WaitTranscriptionAsync((string)(await client.TranscribeAsync(Librivox()[1].Audio))["id"]!);
            Assert.Equal("done", (string?)stt["status"]);

            (modelBefore, dataBefore, sttBefore) = await StateAsync(client, modelId);
            filesBefore = DataFolder.Files(dataDir);

            // Two uploads the process is in the middle of receiving when it dies.
            var boundary = "crash-boundary";
            using var dataUpload = SlowUpload.Start(first.BaseAddress, "PUT", $"{TrainingClient.Models}/{modelId}/data", key, boundary,
                Part(boundary, "type", null, "train") + FilePartHead(boundary, "transcript_file", "slow.txt"));
            using var sttUpload = SlowUpload.Start(first.BaseAddress, "POST", TranscriptionClient.Stt, key, boundary,
                Part(boundary, "language", null, "en") + FilePartHead(boundary, "audio_file", "slow.wav"));
            var partial = await WaitForAsync(() => TempFiles().Count(f => f.Length > 0) >= 2 ? TempFiles() : null,
                () => "the two uploads never reached tmp/: " + first.Output);
            first.Kill();
            partial.ForEach(f => f.Refresh());
            Assert.True(partial.All(f => f.Exists), "the kill must leave the partial files for the restarted service to find");
        }

        using var second = await ServiceProcess.StartAsync(dataDir, Environment, "--no-worker");
        var again = Client(second, key);
        // The restarted service sweeps what the dead one left (once older than the configured age).
        var filesAfter = await WaitForAsync(() => DataFolder.Files(dataDir) is var now && now.SequenceEqual(filesBefore) ? now : null,
            () => "files under the data folder differ from before the kill: " + DataFolder.Describe(filesBefore, DataFolder.Files(dataDir)));
        Assert.Empty(TempFiles());
        Assert.Equal((modelBefore, dataBefore, sttBefore), await StateAsync(again, modelId));

        // ...and keeps working.
        var more = new MultipartFormDataContent { { new StringContent("train"), "type" } };
        more.Add(new StringContent("after the restart"), "transcript_file", "after.txt");
        await (await again.PutAsync($"{TrainingClient.Models}/{modelId}/data", more)).AssertOkAsync();
    }

    [Fact]
    public async Task A_sweep_never_takes_the_upload_of_a_live_process_however_long_its_file_lies_untouched()
    {
        var key = await ServiceProcess.CreateUnlimitedKeyAsync(dataDir);
        using var live = await ServiceProcess.StartAsync(dataDir, Environment, "--no-worker");
        var client = Client(live, key);
        var modelId = (long)(await client.CreateModelAsync())["id"]!;

        // The transcript goes first and whole; then the audio part trickles in, so the transcript's
        // temporary file stays untouched for many times the sweep age while the request goes on.
        var boundary = "live-boundary";
        var transcript = "the mitral valve shows moderate regurgitation";
        using var upload = SlowUpload.Start(live.BaseAddress, "PUT", $"{TrainingClient.Models}/{modelId}/data", key, boundary,
            Part(boundary, "type", null, "train") + Part(boundary, "transcript_file", "valve.txt", transcript) + FilePartHead(boundary, "audio_file", "slow.wav"),
            chunked: true);
        var file = (await WaitForAsync(() => TempFiles().FirstOrDefault(f => f.Length == transcript.Length) is { } f ? new[] { f } : null,
            () => "the transcript never reached tmp/: " + live.Output))[0];
        // The transcript's file lies untouched past the sweep age, through sweeps of the live process.
        await WaitForAsync(() => { file.Refresh(); return DateTime.UtcNow - file.LastWriteTimeUtc > TimeSpan.FromSeconds(AbandonedSeconds) ? file : null; },
            () => "the transcript's file kept changing: " + live.Output);
        await SweepsAsync(processes: 1, rounds: 2);

        // A dead process's leftovers, and a second process starting on the same data folder: it sweeps them, not the live upload.
        var dead = Directory.CreateDirectory(Path.Combine(TempDir, "dead-process"));
        await File.WriteAllTextAsync(Path.Combine(dead.FullName, "partial"), "half an upload");
        Directory.SetLastWriteTimeUtc(dead.FullName, DateTime.UtcNow.AddHours(-1));
        using (var other = await ServiceProcess.StartAsync(dataDir, Environment, "--no-worker"))
        {
            await WaitForAsync(() => { dead.Refresh(); return dead.Exists ? null : "swept"; },
                () => "the other process did not sweep a dead process's folder: " + other.Output);
            await SweepsAsync(processes: 2, rounds: 2);
            file.Refresh();
            Assert.True(file.Exists, "a sweep deleted the upload of a live process");
            Assert.True(DateTime.UtcNow - file.LastWriteTimeUtc > TimeSpan.FromSeconds(AbandonedSeconds),
                "the test must leave the live upload's file untouched for longer than the sweep age");
        }

        // The transcript is whole after all those sweeps; the request then ends as any other with words for audio.
        Assert.Equal(transcript, await File.ReadAllTextAsync(file.FullName));
        var answer = await upload.FinishAsync();
        Assert.True(answer.Status == 422 && answer.Body.Contains("UNDECODABLE_AUDIO"), $"{answer.Status} {answer.Body}\n{live.Output}");
        Assert.Empty(TempFiles());
    }

    static HttpClient Client(ServiceProcess service, string key)
    {
        var client = new HttpClient { BaseAddress = service.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        return client;
    }

    /// <summary>What the API says of the model, its data and the organization's transcriptions.</summary>
    static async Task<(string, string, string)> StateAsync(HttpClient client, long modelId) => (
        await client.GetStringAsync($"{TrainingClient.Models}/{modelId}"),
        await client.GetStringAsync($"{TrainingClient.Models}/{modelId}/data"),
        await client.GetStringAsync(TranscriptionClient.Stt));

    List<FileInfo> TempFiles() => Directory.Exists(TempDir)
        ? new DirectoryInfo(TempDir).EnumerateFiles("*", SearchOption.AllDirectories).ToList() : [];

    static string Part(string boundary, string name, string? fileName, string value) =>
        FilePartHead(boundary, name, fileName) + value + "\r\n";

    static string FilePartHead(string boundary, string name, string? fileName) =>
        $"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"" + (fileName is null ? "" : $"; filename=\"{fileName}\"") + "\r\n\r\n";

    /// <summary>
    /// Waits until each of <paramref name="processes"/> live processes has swept tmp/ <paramref name="rounds"/>
    /// more times: a process touches its own folder there at every sweep (its heartbeat).
    /// </summary>
    async Task SweepsAsync(int processes, int rounds)
    {
        for (var round = 0; round < rounds; round++)
        {
            var before = Heartbeats();
            await WaitForAsync(() =>
            {
                var now = Heartbeats();
                return now.Count(h => before.TryGetValue(h.Key, out var then) && h.Value > then) >= processes ? now : null;
            }, () => $"fewer than {processes} processes swept tmp/");
        }
    }

    Dictionary<string, DateTime> Heartbeats() => Directory.Exists(TempDir)
        ? new DirectoryInfo(TempDir).EnumerateDirectories().ToDictionary(d => d.FullName, d => d.LastWriteTimeUtc) : [];

    /// <summary>Polls until <paramref name="probe"/> gives a value; the bound only stops a test that would wait forever.</summary>
    static async Task<T> WaitForAsync<T>(Func<T?> probe, Func<string> failure) where T : class
    {
        var giveUp = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            if (probe() is { } value) return value;
            if (DateTime.UtcNow > giveUp) Assert.Fail(failure());
            await Task.Delay(200);
        }
    }

    /// <summary>
    /// A multipart request whose last part keeps coming a little at a time (fast enough for
    /// Kestrel's minimum body rate) until the test finishes or abandons it.
    /// </summary>
    sealed class SlowUpload : IDisposable
    {
        readonly TcpClient tcp = new();
        readonly NetworkStream stream;
        readonly CancellationTokenSource stop = new();
        readonly Task trickle;
        readonly bool chunked;
        readonly string boundary;

        SlowUpload(Uri server, string method, string target, string key, string boundary, string start, bool chunked)
        {
            this.chunked = chunked;
            this.boundary = boundary;
            tcp.Connect(server.Host, server.Port);
            stream = tcp.GetStream();
            var length = chunked ? "Transfer-Encoding: chunked" : "Content-Length: 100000000";
            stream.Write(Encoding.ASCII.GetBytes($"{method} {target} HTTP/1.1\r\nHost: {server.Authority}\r\nAuthorization: Bearer {key}\r\n" +
                $"Content-Type: multipart/form-data; boundary={boundary}\r\n{length}\r\nConnection: close\r\n\r\n"));
            Write(Encoding.UTF8.GetBytes(start));
            trickle = Task.Run(async () =>
            {
                var words = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("words ", 100)));
                try
                {
                    while (!stop.IsCancellationRequested)
                    {
                        Write(words);
                        await Task.Delay(250, stop.Token);
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException) { }
            });
        }

        public static SlowUpload Start(Uri server, string method, string target, string key, string boundary, string start, bool chunked = false) =>
            new(server, method, target, key, boundary, start, chunked);

        void Write(byte[] bytes)
        {
            lock (stream)
            {
                if (chunked) stream.Write(Encoding.ASCII.GetBytes($"{bytes.Length:X}\r\n"));
                stream.Write(bytes);
                if (chunked) stream.Write("\r\n"u8);
            }
        }

        /// <summary>Ends the body (chunked requests only) and reads the answer.</summary>
        public async Task<RawResponse> FinishAsync()
        {
            await stop.CancelAsync();
            await trickle;
            Write(Encoding.ASCII.GetBytes($"\r\n--{boundary}--\r\n"));
            lock (stream) stream.Write("0\r\n\r\n"u8);
            using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var answer = new MemoryStream();
            await stream.CopyToAsync(answer, giveUp.Token); // the request asked the server to close after answering
            return RawHttp.Parse(answer.ToArray());
        }

        public void Dispose()
        {
            stop.Cancel();
            tcp.Dispose();
        }
    }

}
