using System.CommandLine;
using CustomModels.Api.Cli;
using CustomModels.Speech.Settings;

// The one executable of the service: `serve` runs the HTTP API, the other commands are the
// operator's (organizations, keys) and the speech engine's stages, each runnable alone.
var root = new RootCommand("custom-models: a self-hosted Custom Models API (v3) with real training");
foreach (var command in ServeCommand.Build()) root.Add(command);
foreach (var command in OperatorCommands.Build()) root.Add(command);
foreach (var command in SpeechLmCommands.Build()) root.Add(command);
foreach (var command in SpeechDecodeCommands.Build()) root.Add(command);
foreach (var command in SpeechLexiconCommands.Build()) root.Add(command);
try
{
    // Exceptions reach this block rather than the command line's own handler, so that a bad setting
    // is one line and exit code 2, as a bad argument is, instead of a stack trace.
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (e.GetBaseException() is SettingsException bad) // (a static setting's is inside a TypeInitializationException)
{
    Console.Error.WriteLine($"error: {bad.Message}");
    return 2;
}
catch (Exception e)
{
    Console.Error.WriteLine($"Unhandled exception: {e}");
    return 1;
}
