using CustomModels.Api.Tests.Infrastructure;
using CustomModels.Core.Data;
using CustomModels.Core.Jobs;
using CustomModels.Core.Models;
using CustomModels.Core.Training;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CustomModels.Api.Tests.Tenants;

/// <summary>
/// Workers shared by all organizations serve them fairly: one organization's many queued jobs
/// delay another's single job by at most the job already running, and a cap holds one
/// organization back while others are served. Order is asserted, never time.
/// </summary>
public sealed class FairClaimTests
{
    static string Wav => Path.Combine(TestAudio.Librivox, "sense_and_sensibility_01_austen_64kb-0880.wav");

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.Postgres)]
    public async Task One_organization_s_twenty_queued_transcriptions_delay_another_s_single_one_by_one_job_at_most(DatabaseKind kind)
    {
        // Everything is queued before any worker runs, so the order the worker takes it in is the scheduler's alone.
        await using var uploads = await TestService.StartAsync(kind, o => o with { RunWorker = false });
        var busy = (await uploads.CreateOrganizationAsync()).Client();
        var single = (await uploads.CreateOrganizationAsync()).Client();
        var busyIds = new List<string>();
        for (var i = 0; i < 20; i++) busyIds.Add((string)(await busy.TranscribeAsync(Wav))["id"]!);
        var singleId = (string)(await single.TranscribeAsync(Wav))["id"]!;

        await using (var worker = await uploads.StartAnotherAsync(o => o with { RunWorker = true, Transcription = t => t.Jobs.Loops = 1 }))
        {
            var done = await single.WaitTranscriptionAsync(singleId);
            Assert.Equal("done", (string?)done["status"]);
        }

        using var scope = uploads.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var started = await db.Transcriptions.Where(t => t.StartedAt != null).OrderBy(t => t.StartedAt).ThenBy(t => t.Id)
            .Select(t => t.PublicId).ToListAsync();
        // The oldest job goes first (nobody was served yet); the next claim is the other organization's.
        Assert.Equal(busyIds[0], started[0]);
        Assert.Equal(singleId, started[1]);
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.Postgres)]
    public async Task Training_claims_go_to_the_organization_with_fewest_running_then_least_recently_served_and_a_cap_holds(DatabaseKind kind)
    {
        await using var service = await TestService.StartAsync(kind, o => o with { RunWorker = false });
        var a = (await service.CreateOrganizationAsync()).Organization.Id;
        var b = (await service.CreateOrganizationAsync()).Organization.Id;
        using var scope = service.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        // Organization a queues three trainings, then b one.
        var jobs = new List<(long Org, long Job)>();
        foreach (var org in new[] { a, a, a, b })
        {
            var model = new CustomModel { OrganizationId = org, Name = "m", Language = "en", BaseModel = "default", CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow };
            db.CustomModels.Add(model);
            await db.SaveChangesAsync();
            var job = new TrainingJob { ModelId = model.Id, CreatedAt = DateTime.UtcNow };
            db.TrainingJobs.Add(job);
            await db.SaveChangesAsync();
            jobs.Add((org, job.Id));
        }
        var lease = TimeSpan.FromMinutes(5);
        async Task<long?> ClaimAsync(int cap = 0) => (await JobQueue.Training.ClaimAsync(db, "test", lease, CancellationToken.None, cap))?.Id;

        // With a cap of one: a's oldest, then b's (a is at its cap), then nothing (a still is, b has nothing left).
        Assert.Equal(jobs[0].Job, await ClaimAsync(cap: 1));
        Assert.Equal(jobs[3].Job, await ClaimAsync(cap: 1));
        Assert.Null(await ClaimAsync(cap: 1));
        // Without the cap a's next job is taken; a's first job ending frees a place under the cap too.
        Assert.True(await JobQueue.Training.FinishAsync(db, jobs[0].Job, "test", JobState.Succeeded, null, CancellationToken.None));
        Assert.Equal(jobs[1].Job, await ClaimAsync(cap: 1));
        Assert.Equal(jobs[2].Job, await ClaimAsync());
        Assert.Null(await ClaimAsync());
    }
}
