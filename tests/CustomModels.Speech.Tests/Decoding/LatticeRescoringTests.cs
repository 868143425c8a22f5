using CustomModels.Speech.Decoding;

namespace CustomModels.Speech.Tests.Decoding;

/// <summary>
/// <see cref="SpeechDecoder.DecodeFileRescoredAsync"/>: one decode, the lattice searched again at
/// other language weights. At the decoder's own weights it gives exactly the decode's words; other
/// weights move the words the way a language weight does.
/// </summary>
public sealed class LatticeRescoringTests
{
    [Fact]
    public async Task Rescoring_at_the_decoders_own_weights_gives_the_decodes_words_and_other_weights_change_them()
    {
        var audio = await CardiologyDomainTests.SynthesizedCardiologyAsync();
        var files = Enumerable.Range(1, 4).Select(i => Path.Combine(audio, $"test_{i:00}.wav")).ToList();
        LanguageWeights[] candidates = [new(4, 0.65), LanguageWeights.Default, new(6.5, 50), new(13, 0.65)];
        using var decoder = SpeechDecoder.CreateBase(DecoderSettings.Default);

        var changed = 0;
        foreach (var file in files)
        {
            var decoded = (await decoder.DecodeFileAsync(file)).Text;
            var rescored = await decoder.DecodeFileRescoredAsync(file, candidates);

            Assert.Equal(decoded, rescored[1]);
            // A large word insertion bonus never gives fewer words.
            Assert.True(rescored[2].Split(' ').Length >= rescored[1].Split(' ').Length, $"{rescored[2]} / {rescored[1]}");
            changed += rescored.Distinct().Count() - 1;
            // The decoder's own weights are back: the next decode is the same.
            Assert.Equal(decoded, (await decoder.DecodeFileAsync(file)).Text);
        }
        Assert.True(changed > 0, "no candidate changed any hypothesis");
    }

    [Fact]
    public async Task A_model_with_its_own_language_weights_decodes_with_them()
    {
        var audio = await CardiologyDomainTests.SynthesizedCardiologyAsync();
        var file = Path.Combine(audio, "test_01.wav");
        var tuned = DecoderSettings.Default.With(new LanguageWeights(10, 2));

        Assert.Equal(new LanguageWeights(10, 2), tuned.Weights);
        Assert.Equal("14.6154", tuned.Parameters["-bestpathlw"]);
        using var decoder = SpeechDecoder.CreateBase(tuned);
        using var byDefault = SpeechDecoder.CreateBase(DecoderSettings.Default);
        // Rescoring the default decoder's lattice at the decoder's own weights is that decoder's answer.
        var atOwnWeights = (await decoder.DecodeFileRescoredAsync(file, [new LanguageWeights(10, 2)]))[0];
        Assert.Equal((await decoder.DecodeFileAsync(file)).Text, atOwnWeights);
        Assert.NotNull((await byDefault.DecodeFileAsync(file)).Text);
    }
}
