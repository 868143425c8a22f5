using System.Globalization;
using System.Text;
using CustomModels.Core.Transcriptions;

namespace CustomModels.Api.Transcription;

/// <summary>A finished transcription as plain text, SubRip (.srt) or WebVTT (.vtt): one cue per segment.</summary>
public static class Subtitles
{
    /// <summary>One segment per line: the words as the segments cut them at pauses.</summary>
    public static string PlainText(TranscriptionResult result)
    {
        var text = new StringBuilder();
        foreach (var segment in result.Segments) text.Append(segment.Text).Append('\n');
        return text.ToString();
    }

    public static string Srt(TranscriptionResult result)
    {
        var srt = new StringBuilder();
        var number = 0;
        foreach (var segment in result.Segments)
        {
            srt.Append(++number).Append('\n')
                .Append(Time(segment.Start, ',')).Append(" --> ").Append(Time(CueEnd(segment), ',')).Append('\n')
                .Append(segment.Text).Append("\n\n");
        }
        return srt.ToString();
    }

    public static string Vtt(TranscriptionResult result)
    {
        var vtt = new StringBuilder("WEBVTT\n\n");
        foreach (var segment in result.Segments)
        {
            vtt.Append(Time(segment.Start, '.')).Append(" --> ").Append(Time(CueEnd(segment), '.')).Append('\n')
                .Append(segment.Text).Append("\n\n");
        }
        return vtt.ToString();
    }

    // A cue must end after it starts; a word's frames always give it some length, this guards rounding.
    static double CueEnd(ResultSegment segment) => Math.Max(segment.End, segment.Start + 0.01);

    /// <summary>HH:MM:SS,mmm (SRT) or HH:MM:SS.mmm (WebVTT).</summary>
    static string Time(double seconds, char separator)
    {
        var ms = (long)Math.Round(seconds * 1000, MidpointRounding.AwayFromZero);
        return string.Create(CultureInfo.InvariantCulture,
            $"{ms / 3_600_000:00}:{ms / 60_000 % 60:00}:{ms / 1000 % 60:00}{separator}{ms % 1000:000}");
    }
}
