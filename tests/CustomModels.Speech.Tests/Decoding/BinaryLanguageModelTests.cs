using CustomModels.Speech.Decoding;
using CustomModels.Speech.LanguageModel;
using CustomModels.Speech.Tests.LanguageModel;

namespace CustomModels.Speech.Tests.Decoding;

public sealed class BinaryLanguageModelTests : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("binary-lm-");

    public void Dispose() => _work.Delete(recursive: true);

    [Fact]
    public void The_binary_scores_held_out_text_exactly_as_the_arpa_file_does()
    {
        var corpus = KneserNeyEstimatorTests.GeneratedCorpus(sentences: 3_000, seed: 5).ToList();
        var arpaPath = Path.Combine(_work.FullName, "domain.arpa");
        var binaryPath = Path.Combine(_work.FullName, "domain.lm.bin");
        ArpaWriter.Write(KneserNeyEstimator.Estimate(corpus.Skip(100)).Model, arpaPath);

        BinaryLanguageModel.Write(DecoderSettings.Default, arpaPath, binaryPath);

        Assert.StartsWith("Trie Language Model", File.ReadAllText(binaryPath, System.Text.Encoding.Latin1));
        Assert.False(File.Exists(binaryPath + ".partial"));
        var heldOut = corpus.Take(100).ToList();
        var fromArpa = InterpolationWeight.ChooseByPerplexity(DecoderSettings.Default, arpaPath, heldOut);
        var fromBinary = InterpolationWeight.ChooseByPerplexity(DecoderSettings.Default, binaryPath, heldOut);
        Assert.True(fromArpa.ScoredWords > 300, $"{fromArpa.ScoredWords} words scored");
        Assert.Equal(fromArpa.Candidates, fromBinary.Candidates);
        Assert.Equal(fromArpa.ScoredWords, fromBinary.ScoredWords);
    }

    [Fact]
    public void A_file_that_is_not_a_model_is_a_decoder_error_and_leaves_no_binary()
    {
        var notAModel = Path.Combine(_work.FullName, "notes.arpa");
        File.WriteAllText(notAModel, "these are not the n-grams you are looking for\n");
        var binaryPath = Path.Combine(_work.FullName, "domain.lm.bin");

        Assert.Throws<DecoderException>(() => BinaryLanguageModel.Write(DecoderSettings.Default, notAModel, binaryPath));
        Assert.Empty(_work.GetFiles("domain.lm.bin*"));
    }
}
