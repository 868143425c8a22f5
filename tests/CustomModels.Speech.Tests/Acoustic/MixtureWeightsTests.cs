using CustomModels.Speech.Acoustic;
using CustomModels.Speech.Decoding;
using CustomModels.Speech.Tests.Decoding;

namespace CustomModels.Speech.Tests.Acoustic;

/// <summary>
/// bw and map_adapt need the model's mixture weights as `mixture_weights`; pocketsphinx-en-us
/// ships them only as `sendump`. The conversion there and back must change nothing the decoder sees.
/// </summary>
public sealed class MixtureWeightsTests : IDisposable
{
    static readonly string BaseSendump = Path.Combine(DecoderSettings.Default.AcousticModelPath, "sendump");
    readonly DirectoryInfo work = Directory.CreateTempSubdirectory("mixture-weights-");

    public void Dispose() => work.Delete(recursive: true);

    [Fact]
    public void Sendump_to_mixture_weights_and_back_gives_every_weight_byte_again()
    {
        var original = MixtureWeights.ReadSendump(BaseSendump);
        Assert.Equal((5126, 3, 128), (original.Senones, original.Features, original.Codewords));

        var mixtureWeights = Path.Combine(work.FullName, "mixture_weights");
        original.WriteSphinx3(mixtureWeights);
        var roundTripped = Path.Combine(work.FullName, "sendump");
        MixtureWeights.ReadSphinx3(mixtureWeights).WriteSendump(roundTripped);

        // The weights are the last senones × features × codewords bytes of both files.
        var expected = File.ReadAllBytes(BaseSendump);
        var actual = File.ReadAllBytes(roundTripped);
        var payload = 5126 * 3 * 128;
        Assert.True(expected.AsSpan(expected.Length - payload).SequenceEqual(actual.AsSpan(actual.Length - payload)),
            "the round-tripped sendump's weight bytes differ from the original's");
        Assert.Equal(0, (actual.Length - payload) % 4);
    }

    [Fact]
    public void The_floor_is_the_largest_byte_of_the_stock_model_and_mk_s2sendumps_default_is_not()
    {
        var weights = new MixtureWeights(1, 1, 3);
        weights[0, 0, 0] = 1f;
        weights[0, 0, 1] = 1e-9f;
        weights[0, 0, 2] = 1e-6f;
        var path = Path.Combine(work.FullName, "sendump");
        weights.WriteSendump(path);
        var floored = MixtureWeights.ReadSendump(path);
        Assert.Equal(1f, floored[0, 0, 0]);
        // 1e-9 is raised to the floor's byte (158: 1.0001^-(158·1024) ≈ 9.4e-8), 1e-6 kept (byte 135).
        Assert.Equal(Math.Pow(1.0001, -158 * 1024), floored[0, 0, 1], 1e-12);
        Assert.Equal(Math.Pow(1.0001, -135 * 1024), floored[0, 0, 2], 1e-12);
        weights.WriteSendump(path, floor: 1e-5);
        Assert.Equal(Math.Pow(1.0001, -113 * 1024), MixtureWeights.ReadSendump(path)[0, 0, 2], 1e-12);
    }

    [Fact]
    public async Task The_round_tripped_sendump_decodes_with_the_same_words_times_and_scores()
    {
        var mixtureWeights = Path.Combine(work.FullName, "mixture_weights");
        MixtureWeights.ReadSendump(BaseSendump).WriteSphinx3(mixtureWeights);
        var roundTripped = Path.Combine(work.FullName, "sendump");
        MixtureWeights.ReadSphinx3(mixtureWeights).WriteSendump(roundTripped);

        // The same weights with mk_s2sendump's default floor: this decoder must hear a difference,
        // or the comparison above would prove nothing (the -sendump given would not be read).
        var coarse = Path.Combine(work.FullName, "sendump-1e-5");
        MixtureWeights.ReadSphinx3(mixtureWeights).WriteSendump(coarse, floor: 1e-5);

        using var stock = SpeechDecoder.CreateBase(DecoderSettings.Default);
        using var converted = SpeechDecoder.CreateBase(WithSendump(roundTripped));
        using var floored = SpeechDecoder.CreateBase(WithSendump(coarse));
        var anyDifference = false;
        foreach (var id in Librivox.UtteranceIds)
        {
            var expected = await stock.DecodeFileAsync(Librivox.WavPath(id));
            var actual = await converted.DecodeFileAsync(Librivox.WavPath(id));
            Assert.NotEmpty(expected.Words);
            Assert.Equal(expected.Text, actual.Text);
            // Times and posteriors: the acoustic scores of every word, not only which words won.
            Assert.Equal(expected.Words, actual.Words);
            anyDifference |= !expected.Words.SequenceEqual((await floored.DecodeFileAsync(Librivox.WavPath(id))).Words);
        }
        Assert.True(anyDifference, "a sendump floored at 1e-5 decoded exactly like the stock one");
    }

    static DecoderSettings WithSendump(string path) => DecoderSettings.Default with
    {
        Parameters = new Dictionary<string, string>(DecoderSettings.Default.Parameters) { ["-sendump"] = path },
    };
}
