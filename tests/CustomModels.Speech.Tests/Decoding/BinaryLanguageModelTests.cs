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

        var written = new List<double>();
        BinaryLanguageModel.Write(DecoderSettings.Default, arpaPath, binaryPath, written.Add);

        Assert.Equal(1, written[^1]); // reading the file is polled on a timer, the rest reported as it ends
        Assert.StartsWith("Trie Language Model", File.ReadAllText(binaryPath, System.Text.Encoding.Latin1));
        Assert.False(File.Exists(binaryPath + ".partial"));
        var heldOut = corpus.Take(100).ToList();
        var scoring = new List<double>();
        var fromArpa = InterpolationWeight.ChooseByPerplexity(DecoderSettings.Default, arpaPath, heldOut, progress: scoring.Add);
        var fromBinary = InterpolationWeight.ChooseByPerplexity(DecoderSettings.Default, binaryPath, heldOut);
        Assert.True(fromArpa.ScoredWords > 300, $"{fromArpa.ScoredWords} words scored");
        Assert.Equal(fromArpa.Candidates, fromBinary.Candidates);
        Assert.Equal(fromArpa.ScoredWords, fromBinary.ScoredWords);
        // The weight choice reports as it scores (here, fewer than 1024 sentences: as each candidate starts and ends).
        var candidates = InterpolationWeight.DefaultCandidates.Count;
        Assert.Equal(Enumerable.Range(0, candidates + 1).Select(k => (double)k / candidates), scoring.Distinct());
    }

    [Fact]
    public void The_part_of_a_file_native_code_has_read_is_the_offset_of_its_descriptor()
    {
        // What the binary's writing reports while sphinxbase reads an ARPA file without telling.
        var path = Path.Combine(_work.FullName, "model.arpa");
        File.WriteAllBytes(path, new byte[1 << 20]);
        Assert.Null(FileReadProgress.OffsetOf(path));
        // Read as C code reads (read(2) moves the descriptor's offset; .NET's FileStream reads at positions).
        var descriptor = open(path, 0);
        Assert.True(descriptor >= 0);
        try
        {
            Assert.Equal(0, FileReadProgress.OffsetOf(path));
            Assert.Equal(300_000, read(descriptor, new byte[300_000], 300_000));
            Assert.Equal(300_000, FileReadProgress.OffsetOf(path));
        }
        finally
        {
            close(descriptor);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int open(string path, int flags);

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern nint read(int descriptor, byte[] buffer, nint count);

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int close(int descriptor);

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
