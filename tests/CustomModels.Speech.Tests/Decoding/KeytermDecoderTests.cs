using CustomModels.Speech.Decoding;
using CustomModels.Speech.Keyterms;
using CustomModels.Speech.LanguageModel;
using CustomModels.Speech.Lexicon;

namespace CustomModels.Speech.Tests.Decoding;

/// <summary>
/// A decoder for keyterms is reused from request to request: each request's terms, and the words
/// they brought into its dictionary, must be heard for that request only.
/// </summary>
public sealed class KeytermDecoderTests : IDisposable
{
    readonly DecoderSettings settings = DecoderSettings.Default;
    readonly PronouncingDictionary dictionary = PronouncingDictionary.Load(DecoderSettings.Default.DictionaryPath);
    readonly IPronouncer[] pronouncers = [EspeakPronouncer.ForAcousticModel(DecoderSettings.Default.AcousticModelPath)];
    readonly DirectoryInfo work = Directory.CreateTempSubdirectory("keyterms-");

    public void Dispose() => work.Delete(recursive: true);

    // "we will continue metoprolol for rate control …": the base model hears "match up her allow".
    static async Task<string> SentenceAsync() => Path.Combine(await CardiologyDomainTests.SynthesizedCardiologyAsync(), "train_04.wav");

    async Task<KeytermBias> BiasAsync(params string[] terms)
    {
        var outcomes = await KeytermList.CheckAsync(terms, dictionary, pronouncers);
        Assert.All(outcomes, o => Assert.True(o.Applied, o.RejectedBecause));
        return KeytermBias.Write(outcomes, Path.Combine(work.FullName, $"{Guid.NewGuid():N}.arpa"))!;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_reused_keyterm_decoder_hears_each_requests_terms_and_no_earlier_ones(bool overCustomModel)
    {
        var sentence = await SentenceAsync();
        // Over a custom model, the terms join its set of base and domain models: one trained on the
        // cardiology sentences that do not say "metoprolol", so that only the terms bring it.
        CustomLanguageModel? custom = null;
        if (overCustomModel)
        {
            var repository = CardiologyDomainTests.RepositoryRoot();
            var lines = File.ReadAllLines(Path.Combine(repository, "tests", "data", "cardiology", "train.txt"))
                .Where(line => !line.Contains("metoprolol", StringComparison.OrdinalIgnoreCase)).ToList();
            var lexicon = await LexiconBuilder.ExtendAsync(lines, dictionary, pronouncers);
            var dictionaryPath = Path.Combine(work.FullName, "words.dict");
            PronouncingDictionary.Write(dictionaryPath, lexicon.NewWords);
            var arpaPath = Path.Combine(work.FullName, "domain.arpa");
            ArpaWriter.Write(KneserNeyEstimator.Estimate(lines).Model, arpaPath);
            custom = new CustomLanguageModel(arpaPath, dictionaryPath, 0.5);
        }
        using var plain = custom is null ? SpeechDecoder.CreateBase(settings) : SpeechDecoder.CreateCustom(settings, custom);
        Assert.DoesNotContain("metoprolol", (await plain.DecodeFileAsync(sentence)).Text);

        using var decoder = SpeechDecoder.CreateForKeyterms(settings, custom);
        var withTerm = await BiasAsync("metoprolol", "rate control");
        Assert.Contains(withTerm.NewWords, p => p.Word == "metoprolol");
        decoder.UseKeyterms(withTerm);
        Assert.Contains("metoprolol", (await decoder.DecodeFileAsync(sentence)).Text);

        // The next request's terms replace these: the word is still in the dictionary, but unheard.
        decoder.UseKeyterms(await BiasAsync("habeas corpus", "subpoena", "amicus curiae"));
        Assert.DoesNotContain("metoprolol", (await decoder.DecodeFileAsync(sentence)).Text);

        decoder.UseKeyterms(withTerm);
        Assert.Contains("metoprolol", (await decoder.DecodeFileAsync(sentence)).Text);

        // The ordinary decoder never took the word in.
        Assert.DoesNotContain("metoprolol", (await plain.DecodeFileAsync(sentence)).Text);
        Assert.Throws<InvalidOperationException>(() => plain.UseKeyterms(withTerm));
    }

    [Fact]
    public async Task A_term_word_the_dictionary_has_but_no_model_knows_is_heard()
    {
        // "Echocardiogram shows moderate mitral regurgitation …": the base dictionary has "mitral", the
        // base language model does not, so a keyterm decoder's dictionary leaves it out until a term brings it.
        var sentence = Path.Combine(await CardiologyDomainTests.SynthesizedCardiologyAsync(), "train_02.wav");
        using var plain = SpeechDecoder.CreateBase(settings);
        Assert.DoesNotContain("mitral", (await plain.DecodeFileAsync(sentence)).Text);

        using var decoder = SpeechDecoder.CreateForKeyterms(settings, custom: null);
        var bias = await BiasAsync("mitral regurgitation");
        Assert.DoesNotContain(bias.NewWords, p => p.Word == "mitral");
        decoder.UseKeyterms(bias);
        Assert.Contains("mitral regurgitation", (await decoder.DecodeFileAsync(sentence)).Text);
    }

    [Fact]
    public async Task Terms_of_words_the_models_know_are_heard_without_a_new_lexicon_tree()
    {
        // The base model hears "echo cardiac ranch as moderate my child …" in "Echocardiogram shows
        // moderate mitral regurgitation …"; "shows moderate" makes it "… ran shows moderate …", and
        // "preserved ejection" changes nothing. Neither brings a word the models lack, so the decoder
        // swaps its term model without building its lexicon tree again; "mitral" then does bring one.
        var sentence = Path.Combine(await CardiologyDomainTests.SynthesizedCardiologyAsync(), "train_02.wav");
        var shows = await BiasAsync("shows moderate");
        var preserved = await BiasAsync("preserved ejection");
        Assert.Empty(shows.NewWords);
        Assert.Empty(preserved.NewWords);
        string heardWithShows;
        using (var fresh = SpeechDecoder.CreateForKeyterms(settings, custom: null))
        {
            fresh.UseKeyterms(shows);
            heardWithShows = (await fresh.DecodeFileAsync(sentence)).Text;
        }
        Assert.Contains("shows moderate", heardWithShows);

        using var decoder = SpeechDecoder.CreateForKeyterms(settings, custom: null);
        foreach (var (bias, heard) in new[] { (preserved, false), (shows, true), (preserved, false),
                     (await BiasAsync("mitral regurgitation"), false), (shows, true) })
        {
            decoder.UseKeyterms(bias);
            var text = (await decoder.DecodeFileAsync(sentence)).Text;
            if (heard) Assert.Equal(heardWithShows, text);
            else Assert.DoesNotContain("shows", text);
        }
    }

    [Fact]
    public async Task A_pool_gives_a_request_the_decoder_that_has_its_terms()
    {
        var sentence = await SentenceAsync();
        var cardiology = await BiasAsync("metoprolol", "rate control");
        var legal = await BiasAsync("habeas corpus", "subpoena");

        using var pool = DecoderPool.ForKeyterms(settings, custom: null, maxDecoders: 2);
        await pool.WarmUpAsync();
        // One after another: the second legal request finds the decoder the first one left
        // ready, not the one given back longest ago (which has the cardiology terms).
        foreach (var bias in new[] { cardiology, legal, legal })
            await pool.DecodeFileAsync(sentence, keyterms: bias);
        Assert.Equal(new[] { cardiology.Identity, legal.Identity }.Order(), pool.Decoders.Select(d => d.KeytermsInUse).Order());
        Assert.Contains("metoprolol", (await pool.DecodeFileAsync(sentence, keyterms: cardiology)).Text);
        Assert.Equal(new[] { cardiology.Identity, legal.Identity }.Order(), pool.Decoders.Select(d => d.KeytermsInUse).Order());
    }
}
