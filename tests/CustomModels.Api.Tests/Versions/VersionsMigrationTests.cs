using CustomModels.Api.Tests.Infrastructure;
using CustomModels.Core.Listing;
using CustomModels.Tests.Infrastructure;
using CustomModels.Core.Data;
using CustomModels.Core.Models;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace CustomModels.Api.Tests.Versions;

/// <summary>A database from before versions existed, brought up to date: each trained model becomes its own active version 1.</summary>
public sealed class VersionsMigrationTests
{
    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.Postgres)]
    public async Task A_model_trained_before_versions_becomes_its_active_version_1(DatabaseKind kind)
    {
        var folder = Directory.CreateTempSubdirectory("versions-migration-").FullName;
        string? postgresDatabase = null;
        StorageSettings storage;
        if (kind == DatabaseKind.Postgres)
        {
            (postgresDatabase, var connectionString) = await TestPostgres.CreateDatabaseAsync();
            storage = new StorageSettings(folder, connectionString, IsPostgres: true);
        }
        else storage = new StorageSettings(folder, $"Data Source={Path.Combine(folder, "custom-models.db")}", IsPostgres: false);
        try
        {
            await using (var db = Database.Open(storage))
            {
                var migrations = db.Database.GetMigrations().ToList();
                var before = migrations[migrations.FindIndex(m => m.EndsWith("_Versions", StringComparison.Ordinal)) - 1];
                await db.GetService<IMigrator>().MigrateAsync(before);

                // SQLite keeps times as Unix milliseconds, PostgreSQL as timestamps.
                var start = new DateTime(2026, 11, 1, 8, 0, 0, DateTimeKind.Utc);
                object Time(int minutes) => storage.IsPostgres ? start.AddMinutes(minutes) : new DateTimeOffset(start.AddMinutes(minutes)).ToUnixTimeMilliseconds();
                await db.Database.ExecuteSqlRawAsync("""INSERT INTO organizations ("Name", "CreatedAt", "WebhookSecretVersion") VALUES ('old', {0}, 1)""", Time(-60));
                await db.Database.ExecuteSqlRawAsync("""
                    INSERT INTO custom_models ("OrganizationId", "Name", "Language", "BaseModel", "TrainingStatus", "TrainingProgress",
                        "CreatedAt", "UpdatedAt", "StartedTrainingAt", "FinishedTrainingAt", "WordErrorRate", "BaseWordErrorRate",
                        "AccuracyImprovement", "CharacterErrorRate", "TrainingHours", "ArtifactName", "ListedJson")
                    VALUES (1, 'trained', 'en', 'general', 4, 100, {0}, {0}, {1}, {2}, 20.5, 40.0, 48.75, 9.5, 0.08, '12', NULL)
                    """, Time(-50), Time(0), Time(10));
                await db.Database.ExecuteSqlRawAsync("""
                    INSERT INTO custom_models ("OrganizationId", "Name", "Language", "BaseModel", "TrainingStatus", "CreatedAt", "UpdatedAt")
                    VALUES (1, 'untrained', 'en', 'general', 2, {0}, {0})
                    """, Time(-50));
                const string dataSet = """
                    INSERT INTO training_data_sets ("ModelId", "Kind", "AudioFileName", "TranscriptFileName", "AudioBlob", "TranscriptBlob", "WordCount", "CreatedAt")
                    VALUES (1, {0}, 'a.wav', 'a.txt', 'a', 'a.txt', 5, {1})
                    """;
                await db.Database.ExecuteSqlRawAsync(dataSet, 1, Time(-40)); // trained on
                await db.Database.ExecuteSqlRawAsync(dataSet, 2, Time(-30)); // evaluated on
                await db.Database.ExecuteSqlRawAsync(dataSet, 1, Time(5));   // uploaded after the training started
            }

            await using (var db = Database.Open(storage))
            {
                await Database.MigrateAsync(db, storage);
                var version = await db.ModelVersions.AsNoTracking().SingleAsync();
                Assert.Equal((1L, 1, "12", "test_data", "[1,2]"), (version.ModelId, version.Version, version.ArtifactName, version.EvaluationSource, version.DataIds));
                Assert.Equal((20.5, 40.0, 48.75, 9.5, 0.08), (version.WordErrorRate, version.BaseWordErrorRate, version.AccuracyImprovement,
                    version.CharacterErrorRate, version.TrainingHours));
                Assert.Equal(new DateTime(2026, 11, 1, 8, 10, 0, DateTimeKind.Utc), version.CreatedAt);

                var models = await db.CustomModels.AsNoTracking().OrderBy(m => m.Id).ToListAsync();
                Assert.Equal((1, 1), (models[0].ActiveVersion, models[0].LastVersion));
                Assert.Equal((null, 0), (models[1].ActiveVersion, models[1].LastVersion));
                Assert.Contains("\"active_version\":1", System.Text.Encoding.UTF8.GetString(ModelJson.Listed(models[0])));

                // The remade trigger watches the new shown columns: a bulk update of one clears the stored list JSON.
                var trained = await db.CustomModels.FirstAsync(m => m.Id == 1);
                trained.Name = "rendered";
                await db.SaveChangesAsync();
                Assert.NotNull(await db.CustomModels.Where(m => m.Id == 1).Select(m => m.ListedJson).SingleAsync());
                await db.CustomModels.Where(m => m.Id == 1).ExecuteUpdateAsync(s => s.SetProperty(m => m.StatusNote, "a note"));
                Assert.Null(await db.CustomModels.Where(m => m.Id == 1).Select(m => m.ListedJson).SingleAsync());
            }
        }
        finally
        {
            if (postgresDatabase is not null) await TestPostgres.DropDatabaseAsync(postgresDatabase);
            Directory.Delete(folder, recursive: true);
        }
    }
}
