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

    /// <summary>Pronounces every word as one phone and counts how it was asked.</summary>
    private sealed class CountingPronouncer(string source, Func<string, bool> knows) : IPronouncer
    {
        public string Source => source;

        public List<int> Batches { get; } = [];

        public Task<IReadOnlyDictionary<string, IReadOnlyList<Pronunciation>>> PronounceAsync(IReadOnlyCollection<string> words,
            CancellationToken cancellationToken = default)
        {
            Batches.Add(words.Count);
            return Task.FromResult<IReadOnlyDictionary<string, IReadOnlyList<Pronunciation>>>(words.Where(knows)
                .ToDictionary(w => w, IReadOnlyList<Pronunciation> (w) => [new Pronunciation(w, ["AH"])]));
        }
    }

    [Fact]
    public async Task ManyNewWordsArePronouncedInBatchesWithProgressAfterEachBatch()
    {
        var words = Enumerable.Range(0, 9_000).Select(i => $"zq{i:D5}").ToList();
        var first = new CountingPronouncer("first", w => w[^1] != '7');
        var second = new CountingPronouncer("second", _ => true);
        var progress = new List<double>();

        var extension = await LexiconBuilder.ExtendWithWordsAsync(words.Concat(words), PronouncingDictionary.Load(DecoderSettings.Default.DictionaryPath),
            [first, second], progress: progress.Add);

        Assert.Equal(9_000, extension.NewWords.Count);
        Assert.Equal((8_100, 900), (extension.SourceOf.Values.Count(s => s == "first"), extension.SourceOf.Values.Count(s => s == "second")));
        Assert.Equal([2000, 2000, 2000, 2000, 1000], first.Batches);
        Assert.Equal([900], second.Batches);
        // Monotone, a step after every batch, and done at the end.
        Assert.Equal(progress.Order(), progress);
        Assert.True(progress.Count(f => f is > 0 and < 1) >= 5, string.Join(", ", progress));
        Assert.Equal(1, progress[^1]);
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
