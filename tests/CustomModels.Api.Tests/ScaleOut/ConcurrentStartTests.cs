using CustomModels.Tests.Infrastructure;
using CustomModels.Api.Hosting;
using CustomModels.Api.Tests.Infrastructure;
using CustomModels.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CustomModels.Api.Tests.ScaleOut;

/// <summary>Processes started at the same moment on an empty PostgreSQL database: the schema is migrated once, the first key created once.</summary>
public sealed class ConcurrentStartTests
{
    [Fact]
    public async Task API_services_and_workers_starting_together_on_an_empty_database_all_start()
    {
        for (var round = 0; round < 3; round++)
        {
            var (database, connectionString) = await TestPostgres.CreateDatabaseAsync();
            var storage = StorageSettings.Create(Path.Combine(Path.GetTempPath(), "custom-models-tests", Guid.NewGuid().ToString("N")), connectionString);
            try
            {
                // Three API services (each may create the first key) and three workers (they only migrate), each on a connection of its own.
                var outputs = Enumerable.Range(0, 3).Select(_ => new StringWriter()).ToList();
                var services = outputs.Select(output => Task.Run(async () =>
                {
                    var options = new ServiceOptions { Storage = storage, Urls = "http://127.0.0.1:0", Output = output, RunWorker = false };
                    await using var app = ServiceApp.Build(options);
                    await ServiceApp.PrepareDatabaseAsync(app, options);
                }));
                var workers = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
                {
                    await using var db = Database.Open(storage);
                    await Database.MigrateAsync(db, storage);
                }));
                await Task.WhenAll(services.Concat(workers));

                Assert.Single(outputs, o => o.ToString().Contains("It is shown this once"));
                await using var check = Database.Open(storage);
                Assert.Equal(1, await check.Organizations.CountAsync());
                Assert.Equal(1, await check.ApiKeys.CountAsync());
                Assert.Empty(await check.Database.GetPendingMigrationsAsync());
            }
            finally
            {
                await TestPostgres.DropDatabaseAsync(database);
                try { Directory.Delete(storage.DataDirectory, true); } catch (IOException) { }
            }
        }
    }
}
