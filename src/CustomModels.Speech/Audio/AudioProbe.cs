using System.Globalization;
using System.Text.Json;

namespace CustomModels.Speech.Audio;

/// <summary>Measures an audio file with ffprobe and refuses what cannot be transcribed.</summary>
public static class AudioProbe
{
    /// <exception cref="AudioDecodeException">Not an audio file ffmpeg can read, no audio stream, or zero length.</exception>
    public static async Task<AudioInfo> ProbeAsync(string path, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(path)) throw new FileNotFoundException("audio file not found", path);
        if (new FileInfo(path).Length == 0) throw new AudioDecodeException("the file is empty");

        await using var ffprobe = FfmpegProcess.Start("ffprobe",
            ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", "-select_streams", "a:0", "--", path],
            cancellationToken);
        using var output = new MemoryStream();
        await ffprobe.StandardOutput.CopyToAsync(output, cancellationToken);
        if (await ffprobe.WaitAsync(cancellationToken) != 0)
            throw new AudioDecodeException($"the format is not recognized ({Describe(ffprobe.StderrTail, path)})");

        using var json = JsonDocument.Parse(output.ToArray());
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
