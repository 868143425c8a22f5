using System.CommandLine;
using CustomModels.Api.Hosting;
using CustomModels.Core.Data;

namespace CustomModels.Api.Cli;

public static class ServeCommand
{
    public static Command Build()
    {
        var urls = new Option<string>("--urls") { Description = "Where to listen", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var benchEndpoint = new Option<bool>("--bench-endpoint") { Description = "Also serve bench/list's peer endpoint" };
        var command = new Command("serve", "Run the HTTP API (CUSTOMMODELS_DATA_DIR, CUSTOMMODELS_DATABASE)") { urls, benchEndpoint };
        command.SetAction(async (parse, ct) =>
        {
            var options = new ServiceOptions
            {
                Storage = StorageSettings.FromEnvironment(), Urls = parse.GetValue(urls)!,
                BenchmarkEndpoint = parse.GetValue(benchEndpoint),
            };
            var app = ServiceApp.Build(options);
            await ServiceApp.PrepareDatabaseAsync(app, options);
            await app.RunAsync();
            return 0;
        });
        return command;
    }
}
