using System.Diagnostics;
using CustomModels.Speech.Decoding;
using CustomModels.Speech.LanguageModel;
using CustomModels.Speech.Lexicon;
using CustomModels.Speech.Scoring;
using Xunit.Abstractions;

namespace CustomModels.Speech.Tests.Decoding;

/// <summary>
/// The headline result of the speech engine: on synthesized cardiology dictation, a custom model
/// (domain trigram LM from 60 training sentences, interpolated with the base LM at a weight chosen
/// by cross-validated perplexity, plus espeak-ng pronunciations of the new words) transcribes
/// 15 unseen test sentences with far fewer word errors than the base model.
/// </summary>
public sealed class CardiologyDomainTests(ITestOutputHelper output)
{
    [Fact]
    public async Task CustomModelHalvesTheBaseModelsWordErrorsOnCardiologyDictation()
    {
        var repository = RepositoryRoot();
        var audio = await SynthesizedCardiologyAsync();
        var trainingLines = File.ReadAllLines(Path.Combine(repository, "tests", "data", "cardiology", "train.txt"));
        var testIds = Enumerable.Range(1, 15).Select(i => $"test_{i:00}").ToList();

        var work = Directory.CreateTempSubdirectory("cardiology-");
        try
        {
            var settings = DecoderSettings.Default;
            var dictionaryPath = Path.Combine(work.FullName, "words.dict");
            var lexicon = await LexiconBuilder.ExtendAsync(trainingLines,
                PronouncingDictionary.Load(settings.DictionaryPath), [EspeakPronouncer.ForAcousticModel(settings.AcousticModelPath)]);
            PronouncingDictionary.Write(dictionaryPath, lexicon.NewWords);
            var arpaPath = Path.Combine(work.FullName, "domain.arpa");
            ArpaWriter.Write(KneserNeyEstimator.Estimate(trainingLines).Model, arpaPath);
            var choice = InterpolationWeight.ChooseByCrossValidation(settings, trainingLines);

            using var basePool = DecoderPool.ForBaseModel(settings, maxDecoders: 2);
            using var customPool = DecoderPool.ForCustomModel(settings,
                new CustomLanguageModel(arpaPath, dictionaryPath, choice.Weight), maxDecoders: 2);
            var baseHypotheses = await Task.WhenAll(testIds.Select(id => basePool.DecodeFileAsync(Path.Combine(audio, id + ".wav"))));
            var customHypotheses = await Task.WhenAll(testIds.Select(id => customPool.DecodeFileAsync(Path.Combine(audio, id + ".wav"))));

            var references = testIds.Select(id => File.ReadAllText(Path.Combine(audio, id + ".txt"))).ToList();
            var baseWer = ErrorCounts.Sum(references.Select((r, i) => ErrorRate.Words(r, baseHypotheses[i].Text).Counts));
            var customWer = ErrorCounts.Sum(references.Select((r, i) => ErrorRate.Words(r, customHypotheses[i].Text).Counts));

            output.WriteLine($"new words: {lexicon.NewWords.Count} ({string.Join(", ", lexicon.NewWords.Take(8))} …); unpronounceable: {lexicon.Unpronounceable.Count}");
            output.WriteLine($"weight {choice.Weight} chosen on {choice.ScoredWords} held-out words: " +
                             string.Join(", ", choice.Candidates.Select(c => $"{c.Weight}→{c.Perplexity:F1}")));
            for (var i = 0; i < testIds.Count; i++)
                output.WriteLine($"{testIds[i]}\n  ref:    {references[i].Trim()}\n  base:   {baseHypotheses[i].Text}\n  custom: {customHypotheses[i].Text}");
            output.WriteLine($"base WER {baseWer.Rate:P1} ({baseWer.Errors}/{baseWer.ReferenceLength}), " +
                             $"custom WER {customWer.Rate:P1} ({customWer.Errors}/{customWer.ReferenceLength})");

            Assert.Empty(lexicon.Unpronounceable);
            Assert.InRange(choice.Weight, 0.2, 0.9);
            Assert.True(baseWer.Rate > 0.4, $"base WER {baseWer.Rate:P1}: the domain should be hard for the base model");
            Assert.True(customWer.Rate <= 0.36, $"custom WER {customWer.Rate:P1} should be at most 36%");
            Assert.True(customWer.Rate <= baseWer.Rate / 2, $"custom WER {customWer.Rate:P1} vs base {baseWer.Rate:P1}");
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>The cardiology corpus synthesized (once per machine: a cache under /tmp); its folder.</summary>
    internal static async Task<string> SynthesizedCardiologyAsync()
    {
        var audio = Path.Combine(Path.GetTempPath(), "custom-models-cardiology-audio");
        await RunAsync(Path.Combine(RepositoryRoot(), "scripts", "synthesize-cardiology.sh"), audio);
        return audio;
    }

    internal static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "CustomModels.slnx"))) return directory.FullName;
        throw new InvalidOperationException("repository root not found");
    }

    internal static async Task RunAsync(string program, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) startInfo.ArgumentList.Add(argument);
        using var process = Process.Start(startInfo)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program} failed: {await stderr}");
    }
}
