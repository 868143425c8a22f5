using System.Text;
using System.Text.Json;
using CustomModels.Core.Listing;
using CustomModels.Core.Models;
using CustomModels.Core.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace CustomModels.Core.Tests.Listing;

/// <summary>
/// <see cref="ModelListing"/> on a real database: a page's items are the models' responses as GET
/// serializes them (<see cref="ModelResponse"/>), byte for byte, whether a row is read from its
/// stored listed JSON or rendered from its columns, in every state.
/// </summary>
public sealed class ModelListingTests
{
    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.Postgres)]
    public async Task A_page_is_the_models_responses_in_id_order_whether_stored_or_rendered_from_columns(DatabaseKind kind)
    {
        await using var database = await TestDatabase.CreateAsync(kind);
        var first = await database.CreateModelAsync();
        var start = new DateTime(2025, 1, 16, 8, 0, 0, DateTimeKind.Utc);
        var statuses = Enum.GetValues<TrainingStatus>();
        await using (var db = database.Open())
        {
            // Every status, each with every optional column set (each status shows its own subset),
            // a retrain (running with a result), and texts that need escaping.
            foreach (var (status, i) in statuses.Append(TrainingStatus.Running).Select((s, i) => (s, i)))
                db.CustomModels.Add(new CustomModel
                {
                    OrganizationId = first.OrganizationId, Name = $"model {i} \"quoted\" back\\slash <b>&'\t café 東京 😀",
                    Description = i % 2 == 0 ? null : $"described {i}", Language = "en", BaseModel = "general",
                    TrainingStatus = status, TrainingProgress = 40 + i, TrainingError = "the audio of 3 files could not be decoded",
                    CreatedAt = start, UpdatedAt = start.AddMinutes(i), StartedTrainingAt = start.AddMinutes(i).AddMilliseconds(123),
                    FinishedTrainingAt = i == statuses.Length ? start.AddHours(2) : status == TrainingStatus.Running ? null : start.AddHours(1),
                    FailedAt = start.AddHours(3), WordErrorRate = 12.345 + i, BaseWordErrorRate = 30.25, AccuracyImprovement = 58.65,
                    CharacterErrorRate = i == 2 ? null : 6.05, TrainingHours = 1.255, ActiveVersion = i % 3 == 0 ? null : i,
                });
            await db.SaveChangesAsync();
        }

        var expected = await ExpectedPageAsync(database, first.OrganizationId);
        Assert.Equal(expected, await PageAsync(database, first.OrganizationId));

        // A bulk update clears the stored texts (the trigger): the same page, rendered from the columns.
        await using (var db = database.Open())
            await db.CustomModels.Where(m => m.OrganizationId == first.OrganizationId && m.Id % 2 == 0)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.TrainingProgress, m => m.TrainingProgress + 1));
        await using (var db = database.Open())
            Assert.True(await db.CustomModels.AnyAsync(m => m.OrganizationId == first.OrganizationId && m.ListedJson == null));
        expected = await ExpectedPageAsync(database, first.OrganizationId);
        Assert.Equal(expected, await PageAsync(database, first.OrganizationId));
    }

    /// <summary>The page as the serializer of the model's response writes each model.</summary>
    static async Task<string> ExpectedPageAsync(TestDatabase database, long organizationId)
    {
        await using var db = database.Open();
        var models = await db.CustomModels.AsNoTracking().Where(m => m.OrganizationId == organizationId).OrderBy(m => m.Id).ToListAsync();
        var items = models.Select(m => Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(m.ToResponse(), ModelJson.Context.ModelResponse)));
        return $"{{\"count\":{models.Count},\"total_results\":{models.Count},\"result\":[{string.Join(',', items)}]}}";
    }

    static async Task<string> PageAsync(TestDatabase database, long organizationId)
    {
        await using var db = database.Open();
        using var reads = new PreparedReads(database.Storage);
        using var page = await ModelListing.WritePageAsync(db, reads, organizationId, new ModelFilter(null, null, null), 0, 100, CancellationToken.None);
        var body = new System.Buffers.ArrayBufferWriter<byte>();
        page.WriteTo(body);
        return Encoding.UTF8.GetString(body.WrittenSpan);
    }
}
