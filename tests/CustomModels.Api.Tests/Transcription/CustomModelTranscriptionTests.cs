using System.Net;
using System.Text.Json.Nodes;
using CustomModels.Api.Tests.Infrastructure;
using CustomModels.Core.Training;
using CustomModels.Core.Transcriptions;
using CustomModels.Speech.Scoring;
using CustomModels.Speech.Text;
using Microsoft.Extensions.DependencyInjection;
using static CustomModels.Api.Tests.Infrastructure.TranscriptionClient;

namespace CustomModels.Api.Tests.Transcription;

/// <summary>Transcribing with a freshly trained custom model: the same audio, the same engine, the same words as its evaluation.</summary>
public sealed class CustomModelTranscriptionTests(SqliteService fixture) : IClassFixture<SqliteService>
{
    readonly TestService service = fixture.Service;

    [Fact]
    public async Task The_cardiology_test_audio_scores_the_word_error_rate_that_training_reported()
    {
        var audio = await TestAudio.CardiologyAsync();
        var client = (await service.CreateOrganizationAsync()).Client();
        var id = (long)(await client.CreateModelAsync(name: "Cardiology", baseModel: "medical"))["id"]!;
        await client.UploadCardiologyAsync(id, audio, trainCount: 60, testCount: 15);
        await client.RunAsync(id);
        var trained = await client.WaitAsync(id);
        Assert.True((int)trained["training_status"]! == 4, trained.ToJsonString());
        var modelKey = (string)trained["model_key"]!;
        var reportedWer = (double)trained["training_metrics"]!["word_error_rate"]!;
        var report = await (await client.GetAsync($"{TrainingClient.Models}/{id}/evaluation")).AssertOkAsync();
        var evaluated = report["utterances"]!.AsArray().ToDictionary(u => (string)u!["audio_file"]!, u => u!);

        var jobs = new Dictionary<string, string>();
        for (var i = 1; i <= 15; i++)
        {
            var answer = await client.TranscribeAsync(Path.Combine(audio, $"test_{i:00}.wav"), model: modelKey);
            Assert.Equal(modelKey, (string?)answer["model"]);
            jobs[$"test_{i:00}"] = (string)answer["id"]!;
        }
        var errors = new List<ErrorCounts>();
        foreach (var (name, stt) in jobs)
        {
            var status = await client.WaitTranscriptionAsync(stt);
            Assert.True((string?)status["status"] == "done", status.ToJsonString());
            var result = await client.ResultAsync(stt);
            Assert.Equal(modelKey, (string?)result["model"]);
            var hypothesis = TranscriptNormalizer.Normalize((string)result["text"]!);
            // Word for word what the training's evaluation heard from the same file.
            Assert.Equal((string?)evaluated[name + ".wav"]["custom_hypothesis"], hypothesis);
            var reference = TranscriptNormalizer.Normalize(string.Join(' ', File.ReadAllLines(Path.Combine(audio, name + ".txt"))));
            errors.Add(ErrorRate.Words(reference, hypothesis).Counts);
        }
        Assert.Equal(reportedWer, Math.Round(ErrorCounts.Sum(errors).Rate * 100, 1, MidpointRounding.AwayFromZero));

        // Subtitles that a strict reader accepts, with the JSON's segments as cues.
        var sample = jobs["test_01"];
        var json = await client.ResultAsync(sample);
        var segments = json["segments"]!.AsArray();
        var srt = await client.GetAsync($"{Stt}/{sample}/result?format=srt");
        Assert.Equal("application/x-subrip", srt.Content.Headers.ContentType?.MediaType);
        var srtCues = SubtitleParser.ParseSrt(await srt.Content.ReadAsStringAsync());
        var vtt = await client.GetAsync($"{Stt}/{sample}/result?format=vtt");
        Assert.Equal("text/vtt", vtt.Content.Headers.ContentType?.MediaType);
        var vttCues = SubtitleParser.ParseVtt(await vtt.Content.ReadAsStringAsync());
        Assert.Equal(segments.Count, srtCues.Count);
        Assert.Equal(srtCues, vttCues);
        for (var i = 0; i < segments.Count; i++)
        {
            Assert.Equal((string?)segments[i]!["text"], srtCues[i].Text);
            Assert.Equal((double)segments[i]!["start"]!, srtCues[i].Start.TotalSeconds, 3);
        }

        // Keyterms on top of the custom model: its decoders for keyterms are its own (the artifact's
        // language model and words beneath the terms), and its ordinary ones hear as before (below).
        var withTerms = await (await client.PostAsync(Stt, Form(Path.Combine(audio, "test_02.wav"), model: modelKey,
            keyterms: "metoprolol\nrate control\nhabeas corpus"))).AssertOkAsync(HttpStatusCode.Created);
        Assert.All(withTerms["keyterms"]!.AsArray(), t => Assert.Equal("applied", (string?)t!["status"]));
        var termsDone = await client.WaitTranscriptionAsync((string)withTerms["id"]!);
        Assert.True((string?)termsDone["status"] == "done", termsDone.ToJsonString());
        var termsResult = await client.ResultAsync((string)withTerms["id"]!);
        Assert.Equal(modelKey, (string?)termsResult["model"]);
        // The result names every term it applied (whether the custom model then hears a term is the
        // decoder's business: it misses "metoprolol" in test_02 with or without it).
        Assert.Equal(["metoprolol", "rate control", "habeas corpus"],
            termsResult["keyterms"]!.AsArray().Select(t => (string?)t!["term"]));
        Assert.All(termsResult["keyterms"]!.AsArray(), t => Assert.Equal("applied", (string?)t!["status"]));

        // While the model retrains, its trained artifact keeps transcribing.
        await client.RunAsync(id);
        var during = await client.TranscribeAsync(Path.Combine(audio, "test_02.wav"), model: modelKey);
        var done = await client.WaitTranscriptionAsync((string)during["id"]!);
        Assert.True((string?)done["status"] == "done", done.ToJsonString());
        Assert.Equal((string?)evaluated["test_02.wav"]["custom_hypothesis"],
            TranscriptNormalizer.Normalize((string)(await client.ResultAsync((string)during["id"]!))["text"]!));
        Assert.Equal(4, (int)(await client.WaitAsync(id))["training_status"]!);
    }

    [Fact]
    public async Task A_model_deleted_before_its_transcription_starts_fails_it_with_that_reason()
    {
        // No workers run by themselves here: this test starts them when it wants them.
        await using var api = await TestService.StartAsync(DatabaseKind.Sqlite, o => o with { RunWorker = false });
        var audio = await TestAudio.CardiologyAsync();
        var client = (await api.CreateOrganizationAsync()).Client();
        var id = (long)(await client.CreateModelAsync())["id"]!;
        await client.UploadCardiologyAsync(id, audio, trainCount: 8, testCount: 0);
        await client.RunAsync(id);
        using (var training = ActivatorUtilities.CreateInstance<TrainingWorker>(api.Services))
        {
            await training.StartAsync(CancellationToken.None);
            Assert.Equal(4, (int)(await client.WaitAsync(id))["training_status"]!);
            await training.StopAsync(CancellationToken.None);
        }

        var stt = (string)(await client.TranscribeAsync(Path.Combine(audio, "test_01.wav"), model: $"custom_model_{id}"))["id"]!;
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"{TrainingClient.Models}/{id}")).StatusCode);
        using var transcribing = ActivatorUtilities.CreateInstance<TranscriptionWorker>(api.Services);
        await transcribing.StartAsync(CancellationToken.None);
        var failed = await client.WaitTranscriptionAsync(stt);
        await transcribing.StopAsync(CancellationToken.None);
        Assert.Equal("failed", (string?)failed["status"]);
        Assert.Equal($"the custom model custom_model_{id} was deleted before the transcription started", (string?)failed["error"]);
        var body = await (await client.GetAsync($"{Stt}/{stt}/result")).AssertErrorAsync(HttpStatusCode.Conflict, "TRANSCRIPTION_FAILED");
        Assert.Contains("deleted", (string?)body["message"]);
    }
}
