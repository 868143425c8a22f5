namespace CustomModels.Speech.Decoding;

/// <summary>
/// The decoder could not be built or could not decode. The message is written for the person who
/// asked for the model or the transcription; the native details go to the log.
/// </summary>
public sealed class DecoderException : Exception
{
    public DecoderException(string message) : base(message) { }
    public DecoderException(string message, Exception inner) : base(message, inner) { }
}
