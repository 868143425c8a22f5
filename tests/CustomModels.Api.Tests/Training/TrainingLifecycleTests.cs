using System.Text.Json.Nodes;
using CustomModels.Api.Tests.Infrastructure;

namespace CustomModels.Api.Tests.Training;

/// <summary>The whole lifecycle on real audio, on both databases (the job queue's claim differs between them).</summary>
public abstract class TrainingLifecycleTests(TestService service)
{
    const string Models = "/api/v3/custom_models";

    [Fact]
    public async Task A_model_trained_on_cardiology_dictation_beats_the_base_model_with_measured_metrics()
    {
        var audio = await TestAudio.CardiologyAsync();
        var client = (await service.CreateOrganizationAsync()).Client();
        var model = await client.CreateModelAsync(name: "Cardiology", baseModel: "medical");
        var id = (long)model["id"]!;

        var first = await client.UploadPairAsync(id, "train", Path.Combine(audio, "train_01.wav"), Path.Combine(audio, "train_01.txt"));
        Assert.Equal("Training data uploaded successfully", (string?)first["message"]);
        Assert.Equal("train", (string?)first["data_type"]);
        Assert.Equal("train_01.wav", (string?)first["filename"]);
        Assert.Equal("train_01.txt", (string?)first["transcript_filename"]);
        Assert.Equal(2, (int)first["training_status"]!);
        Assert.Equal("Data uploaded. Ready to start training.", (string?)(await client.GetModelAsync(id))["status_message"]);
        for (var i = 2; i <= 60; i++)
            await client.UploadPairAsync(id, "train", Path.Combine(audio, $"train_{i:00}.wav"), Path.Combine(audio, $"train_{i:00}.txt"));
        for (var i = 1; i <= 15; i++)
            await client.UploadPairAsync(id, "test", Path.Combine(audio, $"test_{i:00}.wav"), Path.Combine(audio, $"test_{i:00}.txt"));

        var started = await client.RunAsync(id);
        Assert.Equal(3, (int)started["training_status"]!);
        Assert.Equal(0, (int)started["training_progress"]!);
        Assert.Equal("Training started successfully", (string?)started["status_message"]);
        Assert.Equal((string?)started["updated_at"], (string?)started["started_training_at"]);
        Assert.False(started.ContainsKey("training_metrics"));

        var trained = await client.WaitAsync(id);
        Assert.True((int)trained["training_status"]! == 4, trained.ToJsonString());
        Assert.Equal("Training completed successfully", (string?)trained["status_message"]);
        Assert.Equal(100, (int)trained["training_progress"]!);
        Assert.NotNull(trained["finished_training_at"]);
        var metrics = trained["training_metrics"]!.AsObject();
        var wer = (double)metrics["word_error_rate"]!;
        var baseWer = (double)metrics["base_word_error_rate"]!;
        Assert.True(wer < baseWer, metrics.ToJsonString());
        Assert.True((double)metrics["accuracy_improvement"]! >= 50, metrics.ToJsonString());
        Assert.Equal(Math.Round((baseWer - wer) / baseWer * 100, 1), (double)metrics["accuracy_improvement"]!, 0.2);
        Assert.InRange((double)metrics["character_error_rate"]!, 0, wer);

        // Every figure is the evaluation report's, which shows its work utterance by utterance.
        var report = await (await client.GetAsync($"{Models}/{id}/evaluation")).AssertOkAsync();
        Assert.Equal("test_data", (string?)report["evaluation_source"]);
        var utterances = report["utterances"]!.AsArray();
        Assert.Equal(15, utterances.Count);
        int Sum(string which, string field) => utterances.Sum(u => (int)u![which]![field]!);
        var errors = Sum("custom_errors", "substitutions") + Sum("custom_errors", "deletions") + Sum("custom_errors", "insertions");
        Assert.Equal(Math.Round(100.0 * errors / Sum("custom_errors", "reference_words"), 1), wer, 1);
        var baseErrors = Sum("base_errors", "substitutions") + Sum("base_errors", "deletions") + Sum("base_errors", "insertions");
        Assert.Equal(Math.Round(100.0 * baseErrors / Sum("base_errors", "reference_words"), 1), baseWer, 1);
        Assert.Contains(report["new_words"]!.AsArray(), w => (string?)w!["word"] == "metoprolol" && (string?)w["source"] == "g2p");
        Assert.InRange((double)report["interpolation_weight"]!, 0.05, 0.95);
        Assert.Equal("cross_validation", (string?)report["weight_method"]);

        // The decoder's settings were tuned on a development split of the training pairs (never the
        // test pairs): every candidate is listed with its development WER, and the chosen one is
        // the lowest and is what the model decodes with.
        var tuning = report["tuning"]!.AsObject();
        Assert.Equal(12, (int)tuning["development_pairs"]!);
        var developmentIds = tuning["development_data_ids"]!.AsArray().Select(n => (long)n!).ToList();
        Assert.Equal(12, developmentIds.Count);
        Assert.Empty(developmentIds.Intersect(utterances.Select(u => (long)u!["data_id"]!)));
        var candidates = tuning["candidates"]!.AsArray();
        Assert.Equal(45, candidates.Count); // 3 interpolation weights × 5 language weights × 3 insertion penalties
        Assert.Equal(3 * 12, (int)tuning["decodes"]!);
        var chosen = tuning["chosen"]!.AsObject();
        Assert.Equal(candidates.Min(c => (double)c!["word_error_rate"]!), (double)chosen["word_error_rate"]!);
        Assert.Contains(candidates, c => c!.ToJsonString() == chosen.ToJsonString());
        Assert.Equal((double)chosen["interpolation_weight"]!, (double)report["interpolation_weight"]!);
        Assert.False(tuning.ContainsKey("note"));

        // Hours of training audio: the sum of the uploaded training durations.
        var data = await (await client.GetAsync($"{Models}/{id}/data")).AssertOkAsync();
        var seconds = data["result"]!.AsArray().Where(d => (string?)d!["type"] == "train").Sum(d => (double)d!["duration_seconds"]!);
        Assert.Equal(Math.Round(seconds / 3600, 2), (double)metrics["training_hours"]!, 2);
    }
}

public sealed class TrainingLifecycleTestsOnSqlite(SqliteService fixture) : TrainingLifecycleTests(fixture.Service), IClassFixture<SqliteService>;

public sealed class TrainingLifecycleTestsOnPostgres(PostgresService fixture) : TrainingLifecycleTests(fixture.Service), IClassFixture<PostgresService>;
