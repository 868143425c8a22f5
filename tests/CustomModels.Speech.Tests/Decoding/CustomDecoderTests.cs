using CustomModels.Speech.Decoding;
using CustomModels.Speech.LanguageModel;

namespace CustomModels.Speech.Tests.Decoding;

public sealed class CustomDecoderTests : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("decoder-");

    [Fact]
    public async Task CancellationStopsADecodeBetweenBlocks()
    {
        using var decoder = SpeechDecoder.CreateBase(DecoderSettings.Default with { MaxUtteranceSeconds = 2 });
        using var cancellation = new CancellationTokenSource();
        // A stream that cancels once the decoder has read a few blocks of silence.
        var stream = new CancellingStream(cancellation, cancelAfterReads: 3);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => decoder.DecodeAsync(stream, cancellation.Token));
        Assert.InRange(stream.Reads, 3, 4);
    }

    [Fact]
    public async Task LongAudioIsDecodedInUtterancesWithTimesAcrossTheWholeFile()
    {
        // Two recordings one after the other, decoded with utterances of at most 8 s.
        var first = Librivox.WavPath(Librivox.UtteranceIds[0]);   // 7.1 s
        var second = Librivox.WavPath(Librivox.UtteranceIds[1]);  // 3.0 s
        var pcm = new MemoryStream();
        foreach (var path in new[] { first, second })
            pcm.Write(File.ReadAllBytes(path).AsSpan(44));
        pcm.Position = 0;

        using var decoder = SpeechDecoder.CreateBase(DecoderSettings.Default with { MaxUtteranceSeconds = 8 });
        var transcript = await decoder.DecodeAsync(pcm);

        Assert.InRange(transcript.AudioSeconds, 10.0, 10.2);
        Assert.Contains("young man", transcript.Text);
        Assert.Contains(transcript.Words, w => w.Word == "man" && w.StartSeconds > 9);
        Assert.True(transcript.Words.Zip(transcript.Words.Skip(1)).All(pair => pair.First.StartSeconds <= pair.Second.StartSeconds));
    }

    [Fact]
    public void AMissingModelFileIsADecoderErrorWithAHumanMessage()
    {
        var error = Assert.Throws<DecoderException>(() => SpeechDecoder.CreateCustom(DecoderSettings.Default,
            new CustomLanguageModel(Path.Combine(_work.FullName, "missing.arpa"), null, 0.5)));
        Assert.Equal("the custom language model is missing", error.Message);
    }

    [Fact]
    public void AnArpaFileThatIsNotALanguageModelIsADecoderError()
    {
        var path = Path.Combine(_work.FullName, "broken.arpa");
        File.WriteAllText(path, "\\data\\\nngram 1=3\n\\1-grams:\nnot numbers\n");
        var error = Assert.Throws<DecoderException>(() =>
            SpeechDecoder.CreateCustom(DecoderSettings.Default, new CustomLanguageModel(path, null, 0.5)));
        Assert.Contains("language model could not be read", error.Message);
    }

    [Fact]
    public void TheChosenWeightHasTheLowestHeldOutPerplexity()
    {
        string[] domain =
        [
            "continue metoprolol for rate control", "start apixaban for atrial fibrillation",
            "troponin was negative", "echocardiogram shows mitral regurgitation",
            "continue apixaban and metoprolol", "troponin was elevated",
        ];
        var arpa = Path.Combine(_work.FullName, "domain.arpa");
        ArpaWriter.Write(KneserNeyEstimator.Estimate(domain).Model, arpa);

        var choice = InterpolationWeight.ChooseByPerplexity(DecoderSettings.Default, arpa,
            ["continue metoprolol and apixaban", "the troponin was elevated"]);

        Assert.Equal(InterpolationWeight.DefaultCandidates.Count, choice.Candidates.Count);
        Assert.Equal(choice.Candidates.MinBy(c => c.Perplexity)!.Weight, choice.Weight);
        Assert.True(choice.Weight >= 0.5, $"in-domain text should favour the domain model: {choice.Weight}");
        Assert.Equal(0, choice.OutOfVocabularyWords);
        Assert.Equal(10, choice.ScoredWords); // 8 words + 2 sentence ends
    }

    private sealed class CancellingStream(CancellationTokenSource cancellation, int cancelAfterReads) : Stream
    {
        public int Reads { get; private set; }
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (++Reads == cancelAfterReads) cancellation.Cancel();
            Array.Clear(buffer, offset, count);
            return count;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    public void Dispose() => _work.Delete(recursive: true);
}
