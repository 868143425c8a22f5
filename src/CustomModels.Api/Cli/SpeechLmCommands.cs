using System.CommandLine;

namespace CustomModels.Api.Cli;

/// <summary>`lm build`, `lm perplexity`, `score`: the text-side stages of the speech engine.</summary>
public static class SpeechLmCommands
{
    public static IEnumerable<Command> Build() => [];
}
