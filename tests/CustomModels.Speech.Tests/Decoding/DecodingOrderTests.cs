using CustomModels.Speech.Decoding;

namespace CustomModels.Speech.Tests.Decoding;

/// <summary>
/// A transcript is a function of the audio alone: training's evaluation and a later
/// transcription of the same file, on whichever pooled decoder, must agree.
/// </summary>
public sealed class DecodingOrderTests
{
    [Fact]
    public async Task A_file_decodes_the_same_whatever_the_decoder_heard_before()
    {
        var audio = Path.Combine(Path.GetTempPath(), "custom-models-cardiology-audio");
        await CardiologyDomainTests.RunAsync(Path.Combine(CardiologyDomainTests.RepositoryRoot(), "scripts", "synthesize-cardiology.sh"), audio);
        var files = Enumerable.Range(1, 15).Select(i => Path.Combine(audio, $"test_{i:00}.wav"))
            .Concat(Directory.GetFiles("/usr/share/pocketsphinx/test/data/librivox", "*.wav").Order()).ToArray();

        using var forwardDecoder = SpeechDecoder.CreateBase(DecoderSettings.Default);
        var forward = new Dictionary<string, string>();
        foreach (var file in files) forward[file] = (await forwardDecoder.DecodeFileAsync(file)).Text;

        using var backwardDecoder = SpeechDecoder.CreateBase(DecoderSettings.Default);
        foreach (var file in files.Reverse())
            Assert.Equal(forward[file], (await backwardDecoder.DecodeFileAsync(file)).Text);
    }
}
