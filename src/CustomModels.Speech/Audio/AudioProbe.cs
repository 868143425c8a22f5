using System.Globalization;
using System.Text.Json;

namespace CustomModels.Speech.Audio;

/// <summary>Measures an audio file with ffprobe and refuses what cannot be transcribed.</summary>
public static class AudioProbe
{
    const int MaxOutputBytes = 64 * 1024;
    static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(30);

    /// <exception cref="AudioDecodeException">
    /// Not an audio file of an accepted format (see <see cref="AudioLimits"/>), no audio stream, or zero length.
    /// </exception>
    public static async Task<AudioInfo> ProbeAsync(string path, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(path)) throw new FileNotFoundException("audio file not found", path);
        if (new FileInfo(path).Length == 0) throw new AudioDecodeException("the file is empty");

        // Only the entries used are asked for (a file's tags could be megabytes), the answer is read up to
        // a cap, and a file that keeps ffprobe busy is given up on.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        var output = new byte[MaxOutputBytes + 1];
        var length = 0;
        try
        {
            await using var ffprobe = FfmpegProcess.Start("ffprobe",
                ["-v", "error", .. AudioLimits.InputOptions, "-print_format", "json",
                 "-show_entries", "format=format_name,duration:stream=codec_name,channels,sample_rate,duration",
                 "-select_streams", "a:0", "--", path],
                timeout.Token);
            int read;
            while (length < output.Length && (read = await ffprobe.StandardOutput.ReadAsync(output.AsMemory(length), timeout.Token)) > 0)
                length += read;
            if (length > MaxOutputBytes) throw new AudioDecodeException("ffprobe's description of the file is too long");
            if (await ffprobe.WaitAsync(timeout.Token) != 0)
                throw new AudioDecodeException($"the format is not recognized ({Describe(ffprobe.StderrTail, path)})");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AudioDecodeException($"measuring the file took longer than {ProbeTimeout.TotalSeconds:0} s");
        }

        using var json = JsonDocument.Parse(output.AsMemory(0, length));
        var root = json.RootElement;
        if (!root.TryGetProperty("streams", out var streams) || streams.GetArrayLength() == 0)
            throw new AudioDecodeException("the file has no audio stream");
        var stream = streams[0];
        var format = root.GetProperty("format");
        var duration = Number(format, "duration") ?? Number(stream, "duration") ?? 0;
        if (duration <= 0)
            throw new AudioDecodeException("the audio has no duration");
        return new AudioInfo(
            format.TryGetProperty("format_name", out var name) ? name.GetString() ?? "" : "",
            stream.TryGetProperty("codec_name", out var codec) ? codec.GetString() ?? "" : "",
            duration,
            stream.TryGetProperty("channels", out var channels) ? channels.GetInt32() : 0,
            (int)(Number(stream, "sample_rate") ?? 0));
    }

    private static double? Number(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
        && double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            ? number
            : null;

    /// <summary>ffmpeg's own words, with the server's path to the file taken out.</summary>
    internal static string Describe(string stderr, string path)
    {
        var lines = stderr.Replace(path, Path.GetFileName(path))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "no details" : string.Join("; ", lines.TakeLast(2));
    }
}
