using System.Diagnostics;
using CustomModels.Speech.Decoding;
using CustomModels.Speech.Scoring;

namespace CustomModels.Speech.Tests.Decoding;

/// <summary>
/// Our binding must decode exactly as pocketsphinx's own batch tool does with the same model,
/// dictionary, language model and parameters: same hypotheses, hence the same WER.
/// </summary>
public sealed class PocketSphinxBatchEquivalenceTests
{
    [Fact]
    public async Task BaseModelHypothesesEqualPocketSphinxBatchOnLibrivox()
    {
        var settings = DecoderSettings.Default;
        var ids = Librivox.UtteranceIds;
        var references = Librivox.References();

        var batch = await RunPocketSphinxBatchAsync(settings, ids);
        var ours = new Dictionary<string, string>();
        using (var decoder = SpeechDecoder.CreateBase(settings))
        {
            foreach (var id in ids)
                ours[id] = (await decoder.DecodeFileAsync(Librivox.WavPath(id))).Text;
        }

        foreach (var id in ids) Assert.Equal(batch[id], ours[id]);
        var batchWer = ErrorCounts.Sum(ids.Select(id => ErrorRate.Words(references[id], batch[id]).Counts)).Rate;
        var ourWer = ErrorCounts.Sum(ids.Select(id => ErrorRate.Words(references[id], ours[id]).Counts)).Rate;
        Assert.Equal(batchWer, ourWer);
        Assert.InRange(ourWer, 0.05, 0.4); // the base model is good but not perfect on this read speech
    }

    [Fact]
    public async Task WordsCarryTimesInsideTheAudioAndConfidencesBetweenZeroAndOne()
    {
        using var decoder = SpeechDecoder.CreateBase(DecoderSettings.Default);
        var transcript = await decoder.DecodeFileAsync(Librivox.WavPath(Librivox.UtteranceIds[1]));

        Assert.Equal(string.Join(' ', transcript.Words.Select(w => w.Word)), transcript.Text);
        Assert.InRange(transcript.AudioSeconds, 2.9, 3.1);
        Assert.All(transcript.Words, word =>
        {
            Assert.InRange(word.StartSeconds, 0, transcript.AudioSeconds);
            Assert.InRange(word.EndSeconds, word.StartSeconds, transcript.AudioSeconds + 0.05);
            Assert.InRange(word.Confidence, 0, 1);
        });
        Assert.Contains(transcript.Words, word => word.Confidence > 0.5);
    }

    /// <summary>pocketsphinx_batch over the WAV files, skipping their 44-byte header so that both decoders see the same samples.</summary>
    private static async Task<Dictionary<string, string>> RunPocketSphinxBatchAsync(DecoderSettings settings,
        IReadOnlyList<string> ids)
    {
        var work = Directory.CreateTempSubdirectory("batch-");
        try
        {
            var control = Path.Combine(work.FullName, "fileids");
            var hypotheses = Path.Combine(work.FullName, "out.hyp");
            await File.WriteAllLinesAsync(control, ids);
            var startInfo = new ProcessStartInfo("pocketsphinx_batch") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var argument in settings.ToPocketSphinxArguments().Concat([
                         "-adcin", "yes", "-adchdr", "44", "-cepdir", Librivox.Directory, "-cepext", ".wav",
                         "-ctl", control, "-hyp", hypotheses, "-logfn", "/dev/null"]))
                startInfo.ArgumentList.Add(argument);
            using var process = Process.Start(startInfo)!;
            await process.StandardOutput.ReadToEndAsync();
            await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.Equal(0, process.ExitCode);
            // "words words (id score)"
            return (await File.ReadAllLinesAsync(hypotheses)).ToDictionary(
                line => line[(line.LastIndexOf('(') + 1)..].Split(' ')[0],
                line => line[..line.LastIndexOf('(')].Trim());
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
