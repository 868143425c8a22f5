using System.CommandLine;
using CustomModels.Api.Cli;

// The one executable of the service: `serve` runs the HTTP API, the other commands are the
// operator's (organizations, keys) and the speech engine's stages, each runnable alone.
var root = new RootCommand("custom-models: a self-hosted Custom Models API (v3) with real training");
foreach (var command in ServeCommand.Build()) root.Add(command);
foreach (var command in OperatorCommands.Build()) root.Add(command);
foreach (var command in SpeechLmCommands.Build()) root.Add(command);
foreach (var command in SpeechDecodeCommands.Build()) root.Add(command);
return await root.Parse(args).InvokeAsync();
