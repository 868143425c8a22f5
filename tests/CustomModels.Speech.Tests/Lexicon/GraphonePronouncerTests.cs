using CustomModels.Speech.Decoding;
using CustomModels.Speech.Lexicon;

namespace CustomModels.Speech.Tests.Lexicon;

/// <summary>One model trained on a quarter of the base dictionary, shared by the tests (training the whole takes a minute).</summary>
public sealed class QuarterDictionaryModel
{
    public QuarterDictionaryModel()
    {
        var dictionary = PronouncingDictionary.Load(DecoderSettings.Default.DictionaryPath);
        var (training, heldOut) = PronunciationAccuracy.Split(dictionary, 400);
        HeldOut = heldOut;
        Model = GraphonePronouncer.Train(training.Where((_, i) => i % 4 == 0).ToList(), Progress.Add);
    }

    public GraphonePronouncer Model { get; }

    /// <summary>The fractions training reported, in order.</summary>
    public List<double> Progress { get; } = [];
    public Dictionary<string, IReadOnlyList<Pronunciation>> HeldOut { get; }
}

public sealed class GraphonePronouncerTests(QuarterDictionaryModel trained) : IClassFixture<QuarterDictionaryModel>
{
    [Fact]
    public async Task HeldOutDictionaryWordsAreMostlyPronouncedAsTheDictionarySaysAndBetterThanEspeak()
    {
        var ours = PronunciationAccuracy.Measure(trained.HeldOut, await trained.Model.PronounceAsync(trained.HeldOut.Keys));
        var phones = AcousticPhoneSet.Load(DecoderSettings.Default.AcousticModelPath);
        var espeak = PronunciationAccuracy.Measure(trained.HeldOut, await new EspeakPronouncer(phones).PronounceAsync(trained.HeldOut.Keys));

        Assert.Equal(400, ours.Words);
        Assert.True(ours.WordAccuracy > 0.55, $"word accuracy {ours.WordAccuracy:P1}");
        Assert.True(ours.PhoneErrorRate < 0.12, $"phone error rate {ours.PhoneErrorRate:P1}");
        Assert.True(ours.WordAccuracy > espeak.WordAccuracy, $"{ours.WordAccuracy:P1} vs espeak-ng {espeak.WordAccuracy:P1}");
    }

    [Fact]
    public void DomainTermsGetUpToThreeVariantsInTheModelsPhonesMostProbableFirst()
    {
        var phones = AcousticPhoneSet.Load(DecoderSettings.Default.AcousticModelPath);
        foreach (var word in new[] { "metoprolol", "apixaban", "amiodarone", "cardiomyopathy" })
        {
            var variants = trained.Model.Pronounce(word);
            Assert.InRange(variants.Count, 1, GraphonePronouncer.MaxVariants);
            Assert.Equal(variants.OrderByDescending(v => v.Posterior), variants);
            Assert.Equal(variants.Count, variants.Select(v => string.Join(' ', v.Phones)).Distinct().Count());
            Assert.All(variants.SelectMany(v => v.Phones), phone => Assert.True(phones.Contains(phone), phone));
        }
    }

    [Fact]
    public void TrainingReportsItsProgressAfterEveryPassOfTheAlignmentAndWhileEstimating()
    {
        // Training on a whole dictionary takes a minute: the lexicon stage's progress comes from here.
        var progress = trained.Progress;
        Assert.Equal(progress.Order(), progress);
        Assert.Equal(1, progress[^1]);
        var inside = progress.Where(f => f is > 0 and < 1).Distinct().ToList();
        // The alignment's 8 iterations and its segmentation, then the estimation's own.
        Assert.True(inside.Count > 9, $"{inside.Count} fractions reported before the end: {string.Join(", ", inside)}");
    }

    [Fact]
    public void AWordWithALetterTheDictionaryNeverUsesHasNoPronunciation()
    {
        Assert.Empty(trained.Model.Pronounce("naïve"));
        Assert.NotEmpty(trained.Model.Pronounce("naive"));
    }

    [Fact]
    public async Task TheLexiconAsksEspeakOnlyForTheWordsTheModelCannotSpellAndNamesEachWordsSource()
    {
        var phones = AcousticPhoneSet.Load(DecoderSettings.Default.AcousticModelPath);
        var extension = await LexiconBuilder.ExtendAsync(["Apixaban for the naïve patient, then amiodarone."],
            PronouncingDictionary.Load(DecoderSettings.Default.DictionaryPath), [trained.Model, new EspeakPronouncer(phones)]);

        Assert.Equal("g2p", extension.SourceOf["apixaban"]);
        Assert.Equal("g2p", extension.SourceOf["amiodarone"]);
        Assert.Equal("espeak-ng", extension.SourceOf["naïve"]);
        Assert.Equal(trained.Model.Pronounce("apixaban").Select(v => v.Phones),
            extension.NewWords.Where(p => p.Word == "apixaban").Select(p => p.Phones));
        Assert.Empty(extension.Unpronounceable);
    }

    [Fact]
    public void ASavedModelPronouncesAsTheTrainedOne()
    {
        var path = Path.Combine(Path.GetTempPath(), $"g2p-{Guid.NewGuid():N}.arpa");
        try
        {
            trained.Model.Save(path);
            var loaded = GraphonePronouncer.Load(path);
            foreach (var word in trained.HeldOut.Keys.Take(50).Append("echocardiogram"))
                Assert.Equal(trained.Model.Pronounce(word).Select(v => string.Join(' ', v.Phones)),
                    loaded.Pronounce(word).Select(v => string.Join(' ', v.Phones)));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
