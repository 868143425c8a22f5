using System.CommandLine;

namespace CustomModels.Api.Cli;

/// <summary>`lexicon extend`, `decode`: the audio-side stages of the speech engine.</summary>
public static class SpeechDecodeCommands
{
    public static IEnumerable<Command> Build() => [];
}
