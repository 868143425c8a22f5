using System.CommandLine;
using CustomModels.Api.Hosting;
using CustomModels.Core;
using CustomModels.Core.Data;
using CustomModels.Core.Storage;
using CustomModels.Core.Training;
using CustomModels.Core.Transcriptions;

namespace CustomModels.Api.Cli;

/// <summary>`serve` (the HTTP API, with the training and transcription workers unless --no-worker) and `worker` (the workers alone).</summary>
public static class ServeCommand
{
    public static IEnumerable<Command> Build() => [Serve(), Worker()];

    static Command Serve()
    {
        var urls = new Option<string>("--urls") { Description = "Where to listen", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var noWorker = new Option<bool>("--no-worker") { Description = "Serve the API only; training and transcription run in `custom-models worker` processes" };
        var benchEndpoint = new Option<bool>("--bench-endpoint") { Description = "Also serve bench/list's peer endpoint" };
        var command = new Command("serve", "Run the HTTP API (CUSTOMMODELS_DATA_DIR, CUSTOMMODELS_DATABASE)") { urls, noWorker, benchEndpoint };
        command.SetAction(async (parse, ct) =>
        {
            var options = new ServiceOptions
            {
                Storage = StorageSettings.FromEnvironment(),
                Urls = parse.GetValue(urls)!,
                RunWorker = !parse.GetValue(noWorker),
                BenchmarkEndpoint = parse.GetValue(benchEndpoint),
            };
            var app = ServiceApp.Build(options);
            await ServiceApp.PrepareDatabaseAsync(app, options);
            await app.RunAsync();
            return 0;
        });
        return command;
    }

    static Command Worker()
    {
        var command = new Command("worker", "Run the training and transcription workers against the shared database and data folder");
        command.SetAction(async (parse, ct) =>
        {
            var storage = StorageSettings.FromEnvironment();
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
            builder.Services.AddAppDatabase(storage).AddCore().AddTraining().AddTrainingWorker().AddTranscription().AddTranscriptionWorker();
            using var host = builder.Build();
            host.Services.CheckSettings();
            using (var scope = host.Services.CreateScope())
                await Database.MigrateAsync(scope.ServiceProvider.GetRequiredService<AppDbContext>(), storage, ct);
            await host.RunAsync();
            return 0;
        });
        return command;
    }
}
