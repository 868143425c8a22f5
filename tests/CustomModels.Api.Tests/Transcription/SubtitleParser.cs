using System.Globalization;
using System.Text.RegularExpressions;

namespace CustomModels.Api.Tests.Transcription;

public sealed record Cue(TimeSpan Start, TimeSpan End, string Text);

/// <summary>
/// Strict readers of SubRip and WebVTT as players read them: numbered SRT blocks with
/// `HH:MM:SS,mmm --> HH:MM:SS,mmm`, a `WEBVTT` header and `HH:MM:SS.mmm` timings; every cue with
/// text, ending after it starts, cues in time order. Anything else throws.
/// </summary>
public static partial class SubtitleParser
{
    [GeneratedRegex(@"^(\d{2}):([0-5]\d):([0-5]\d),(\d{3}) --> (\d{2}):([0-5]\d):([0-5]\d),(\d{3})$")]
    private static partial Regex SrtTiming();

    [GeneratedRegex(@"^(\d{2}):([0-5]\d):([0-5]\d)\.(\d{3}) --> (\d{2}):([0-5]\d):([0-5]\d)\.(\d{3})$")]
    private static partial Regex VttTiming();

    public static List<Cue> ParseSrt(string text)
    {
        var cues = new List<Cue>();
        var blocks = Blocks(text);
        for (var i = 0; i < blocks.Count; i++)
        {
            var lines = blocks[i];
            if (lines.Count < 3) throw new FormatException($"SRT block {i + 1} has no text");
            if (lines[0] != (i + 1).ToString(CultureInfo.InvariantCulture)) throw new FormatException($"SRT block {i + 1} is numbered '{lines[0]}'");
            cues.Add(Cue(SrtTiming().Match(lines[1]), lines.Skip(2), $"SRT block {i + 1}"));
        }
        return Ordered(cues);
    }

    public static List<Cue> ParseVtt(string text)
    {
        var blocks = Blocks(text);
        if (blocks.Count == 0 || blocks[0].Count != 1 || blocks[0][0] != "WEBVTT") throw new FormatException("no WEBVTT header");
        var cues = new List<Cue>();
        foreach (var lines in blocks.Skip(1))
        {
            // An optional cue identifier precedes the timing line.
            var timing = lines[0].Contains("-->") ? 0 : 1;
            if (lines.Count < timing + 2) throw new FormatException("WebVTT cue without text");
            cues.Add(Cue(VttTiming().Match(lines[timing]), lines.Skip(timing + 1), "WebVTT cue"));
        }
        return Ordered(cues);
    }

    static List<List<string>> Blocks(string text)
    {
        if (text.Contains('\r')) throw new FormatException("carriage returns");
        return text.Split("\n\n").Select(b => b.Split('\n').ToList()).Where(b => b.Any(l => l.Length > 0))
            .Select(b => b.Any(l => l.Length == 0 || l.Trim() != l) ? throw new FormatException("blank or padded line in a block") : b).ToList();
    }

    static Cue Cue(Match timing, IEnumerable<string> text, string where)
    {
        if (!timing.Success) throw new FormatException($"{where}: bad timing line");
        TimeSpan At(int g) => new TimeSpan(0, int.Parse(timing.Groups[g].Value), int.Parse(timing.Groups[g + 1].Value),
            int.Parse(timing.Groups[g + 2].Value), int.Parse(timing.Groups[g + 3].Value));
        var cue = new Cue(At(1), At(5), string.Join('\n', text));
        if (cue.End <= cue.Start) throw new FormatException($"{where}: ends before it starts");
        return cue;
    }

    static List<Cue> Ordered(List<Cue> cues)
    {
        for (var i = 1; i < cues.Count; i++)
            if (cues[i].Start < cues[i - 1].End) throw new FormatException($"cue {i + 1} overlaps the one before");
        return cues;
    }
}
