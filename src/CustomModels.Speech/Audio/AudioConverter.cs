namespace CustomModels.Speech.Audio;

/// <summary>Converts MP3, WAV, FLAC, M4A/AAC, OGG (anything ffmpeg reads) to 16 kHz mono 16-bit PCM files.</summary>
public static class AudioConverter
{
    /// <summary>
    /// Writes raw PCM (no header) to <paramref name="outputPath"/>, streaming; the file appears
    /// under its name only when complete.
    /// </summary>
    /// <returns>What ffprobe measured in the input.</returns>
    /// <exception cref="AudioDecodeException">The input is not usable audio, or longer than <paramref name="maxSeconds"/>.</exception>
    public static async Task<AudioInfo> ConvertToPcmFileAsync(string inputPath, string outputPath,
        CancellationToken cancellationToken = default, double maxSeconds = AudioLimits.DefaultMaxSeconds)
    {
        var temporaryPath = outputPath + ".partial";
        try
        {
            // The caller is told what the input was: ffprobe measures it (the conversion alone does not say).
            var info = await AudioProbe.ProbeAsync(inputPath, cancellationToken);
            await using (var audio = await PcmAudioStream.OpenAsync(inputPath, cancellationToken, maxSeconds))
            await using (var output = File.Create(temporaryPath))
            {
                await audio.Pcm.CopyToAsync(output, cancellationToken);
                await audio.CompleteAsync(cancellationToken);
            }
            File.Move(temporaryPath, outputPath, overwrite: true);
            return info;
        }
        finally
        {
            File.Delete(temporaryPath);
        }
    }
}
