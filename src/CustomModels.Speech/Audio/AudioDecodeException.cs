namespace CustomModels.Speech.Audio;

/// <summary>
/// The audio cannot be used: not decodable, no audio stream, or no duration. The message says so
/// in words a user can act on ("audio file could not be decoded: …") and names no server path.
/// </summary>
public sealed class AudioDecodeException : Exception
{
    public AudioDecodeException(string reason, Exception? inner = null)
        : base($"audio file could not be decoded: {reason}", inner) { }
}
