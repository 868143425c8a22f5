namespace CustomModels.Speech.Text;

/// <summary>A transcript or text corpus whose bytes are not UTF-8 text.</summary>
public sealed class TranscriptEncodingException : Exception
{
    public TranscriptEncodingException(long byteOffset)
        : base($"transcript is not valid UTF-8 text (invalid byte at offset {byteOffset}); save it as UTF-8")
    {
        ByteOffset = byteOffset;
    }

    /// <summary>Offset from the start of the file (or buffer) of the first byte that is not UTF-8.</summary>
    public long ByteOffset { get; }
}
