namespace CustomModels.Speech.LanguageModel;

/// <summary>An ARPA language-model file that cannot be read; the message names the line.</summary>
public sealed class ArpaFormatException(int lineNumber, string reason)
    : Exception($"not a valid ARPA language model: line {lineNumber}: {reason}")
{
    /// <summary>1-based line of the file where the problem was found.</summary>
    public int LineNumber { get; } = lineNumber;

    /// <summary>The problem, without the line number.</summary>
    public string Reason { get; } = reason;
}
