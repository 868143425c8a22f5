using System.Globalization;

namespace CustomModels.Speech.Audio;

/// <summary>
/// What ffprobe and ffmpeg may do with an uploaded file. They read only local files
/// (<c>-protocol_whitelist file</c>) in the containers of the accepted formats (MP3, WAV, FLAC,
/// M4A/AAC, OGG, and AIFF and WebM): a playlist or concat list, which would name other files or addresses, is refused.
/// Audio longer than a limit (<see cref="Decoding.DecoderSettings.MaxAudioSeconds"/>, which the
/// service sets from CUSTOMMODELS_MAX_AUDIO_SECONDS, default <see cref="DefaultMaxSeconds"/>: 4 hours)
/// is refused, and decoding never reads past it.
/// </summary>
public static class AudioLimits
{
    public const double DefaultMaxSeconds = 14_400;

    /// <summary>The demuxers of the accepted formats ("mov" is MP4/M4A's), with AIFF and WebM/Matroska (a browser's recordings).</summary>
    const string Formats = "wav,mp3,flac,mov,aac,ogg,aiff,matroska";

    /// <summary>The input options that come before <c>-i</c> (ffmpeg) or the file (ffprobe) of every call on an uploaded file.</summary>
    internal static string[] InputOptions => ["-protocol_whitelist", "file", "-format_whitelist", Formats];

    internal static AudioDecodeException TooLong(double maxSeconds) =>
        new($"the audio is longer than the limit of {maxSeconds.ToString("0.###", CultureInfo.InvariantCulture)} seconds");
}
