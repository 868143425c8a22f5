using CustomModels.Speech.Decoding;
using CustomModels.Speech.Lexicon;

namespace CustomModels.Speech.Tests.Lexicon;

public sealed class LexiconTests
{
    private static readonly AcousticPhoneSet Phones = AcousticPhoneSet.Load(DecoderSettings.Default.AcousticModelPath);

    [Fact]
    public void TheAcousticModelsPhonesAreTheArpabetSetWithSilenceAndNoise()
    {
        Assert.Equal(42, Phones.Phones.Count);
        Assert.True(Phones.Contains("AA") && Phones.Contains("ZH") && Phones.Contains("SIL") && Phones.Contains("+NSN+"));
        Assert.False(Phones.Contains("AA1"));
    }

    [Fact]
    public void TheBaseDictionaryKnowsAlternatePronunciationsButNotDrugNames()
    {
        var dictionary = PronouncingDictionary.Load(DecoderSettings.Default.DictionaryPath);
        Assert.True(dictionary.WordCount > 100_000);
        Assert.Equal(2, dictionary.Lookup("read").Count);
        Assert.Equal(["R", "IY", "D"], dictionary.Lookup("read")[1].Phones);
        Assert.False(dictionary.Contains("metoprolol"));
    }

    [Fact]
    public async Task EspeakPronouncesDomainTermsInTheModelsPhones()
    {
        var pronouncer = new EspeakPronouncer(Phones);
        var pronunciations = await pronouncer.PronounceAsync(["metoprolol", "apixaban", "troponin", "echocardiogram"]);

        Assert.Equal("M EH T AH P R AA L AA L", string.Join(' ', pronunciations["metoprolol"].Single().Phones));
        Assert.Equal("T R AA P AH N IH N", string.Join(' ', pronunciations["troponin"].Single().Phones));
        Assert.All(pronunciations.Values.SelectMany(p => p).SelectMany(p => p.Phones), phone => Assert.True(Phones.Contains(phone), phone));
    }

    [Fact]
    public async Task ThousandsOfWordsArePronouncedInOneBatchEachOnItsOwnLine()
    {
        // Real words that espeak has rules for, one per line: each must come back on its own line,
        // so a word anywhere in the batch is pronounced as it is alone (a line lost or split on the
        // way would shift every word after it).
        var words = PronouncingDictionary.Load(DecoderSettings.Default.DictionaryPath).Entries
            .Select(p => p.Word).Where(w => w.All(char.IsAsciiLetterLower)).Distinct().Take(3000).ToList();
        var pronouncer = new EspeakPronouncer(Phones);
        var pronunciations = await pronouncer.PronounceAsync(words);
        Assert.True(pronunciations.Count > words.Count * 0.99, $"{pronunciations.Count} of {words.Count}");
        Assert.Equal("AH K AO S T", string.Join(' ', pronunciations["accost"].Single().Phones));
        foreach (var word in new[] { words[1], words[words.Count / 2], words[^2] })
        {
            var alone = await pronouncer.PronounceAsync([word]);
            Assert.Equal(string.Join(' ', alone[word].Single().Phones), string.Join(' ', pronunciations[word].Single().Phones));
        }
    }

    [Fact]
    public async Task ExtendingALexiconWritesOnlyTheWordsTheBaseDictionaryLacks()
    {
        var baseDictionary = PronouncingDictionary.Load(DecoderSettings.Default.DictionaryPath);
        var extension = await LexiconBuilder.ExtendAsync(
            ["Continue Metoprolol 25 mg and apixaban.", "Troponin was negative, metoprolol held."],
            baseDictionary, [new EspeakPronouncer(Phones)]);

        Assert.Equal(["apixaban", "metoprolol", "troponin"], extension.NewWords.Select(p => p.Word));
        Assert.Empty(extension.Unpronounceable);

        var path = Path.GetTempFileName();
        try
        {
            PronouncingDictionary.Write(path, extension.NewWords);
            var written = PronouncingDictionary.Load(path);
            Assert.Equal(3, written.WordCount);
            Assert.Equal(extension.NewWords[1].Phones, written.Lookup("metoprolol")[0].Phones);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
