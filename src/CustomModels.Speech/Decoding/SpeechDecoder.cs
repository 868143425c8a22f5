using System.Buffers;
using System.Runtime.InteropServices;
using CustomModels.Speech.Audio;
using CustomModels.Speech.Keyterms;
using CustomModels.Speech.Lexicon;
using static CustomModels.Speech.Decoding.PocketSphinxNative;

namespace CustomModels.Speech.Decoding;

/// <summary>
/// One pocketsphinx decoder: its own acoustic model, dictionary and language model in native
/// memory. Not thread-safe (pocketsphinx decoders are not); use one per thread, or a
/// <see cref="DecoderPool"/>. Decoding is stateless between files: each utterance is decoded
/// whole, so a file's transcript does not depend on what the decoder heard before.
/// </summary>
public sealed class SpeechDecoder : IDisposable
{
    public const int SampleRate = 16000;
    private const int BytesPerSample = 2;
    private const int ReadBlockBytes = SampleRate / 4 * BytesPerSample;

    private readonly SafeDecoderHandle _decoder;
    private readonly IntPtr _logMath;
    private readonly double _framesPerSecond;
    private readonly int _maxUtteranceSamples;
    private readonly double _maxAudioSeconds;
    // Only a keyterm decoder has these: its configuration (term models are read with it), the term
    // model its search's set holds beside the models beneath (see UseKeyterms), the identity of the
    // bias the search is ready for (null while none is), and the words requests added.
    private readonly SafeConfigHandle? _config;
    // A keyterm decoder's dictionary holds only the words its models know (see KeepWordsOfModels);
    // a term's word that the base dictionary has beyond those is added from here.
    private readonly PronouncingDictionary? _baseDictionary;
    private SafeNgramModelHandle? _termModel;
    private string? _termsInUse;
    // The terms' words that the search's lexicon tree holds beyond the models beneath (null when
    // unsure, after a failure): terms with the same such words need no new tree (see UseKeyterms).
    private HashSet<string>? _treeTermWords = [];
    private int _wordsAdded;
    // The search that decodes (its language model set is what a lattice is rescored with) and the
    // weights it was built with.
    private readonly string _searchName;
    private readonly LanguageWeights _weights;

    private SpeechDecoder(SafeDecoderHandle decoder, DecoderSettings settings, string searchName, SafeConfigHandle? config = null,
        PronouncingDictionary? baseDictionary = null)
    {
        _baseDictionary = baseDictionary;
        _decoder = decoder;
        _searchName = searchName;
        _weights = settings.Weights;
        _logMath = ps_get_logmath(decoder);
        _framesPerSecond = settings.Parameters.TryGetValue("-frate", out var frate) ? double.Parse(frate) : 100;
        // At least one block read, so that every full buffer holds a block to cut.
        _maxAudioSeconds = settings.MaxAudioSeconds;
        _maxUtteranceSamples = Math.Max((int)(settings.MaxUtteranceSeconds * SampleRate), ReadBlockBytes / BytesPerSample);
        _config = config;
    }

    /// <summary>A language model of a set, with its name in the set and its interpolation weight.</summary>
    internal sealed record WeightedModel(string Name, SafeNgramModelHandle Model, double Weight);

    /// <summary>A decoder with the base dictionary and language model only.</summary>
    public static SpeechDecoder CreateBase(DecoderSettings settings) => Create(settings, custom: null, forKeyterms: false);

    /// <summary>
    /// A decoder whose language model is the base one interpolated with <paramref name="custom"/>'s
    /// ARPA model, and whose dictionary has the custom words added.
    /// </summary>
    public static SpeechDecoder CreateCustom(DecoderSettings settings, CustomLanguageModel custom) =>
        Create(settings, custom, forKeyterms: false);

    /// <summary>
    /// A decoder for requests with keyterms: the base model, or <paramref name="custom"/>, beneath
    /// each request's own terms. It decodes nothing until <see cref="UseKeyterms"/> gives it terms,
    /// and must only ever serve requests with keyterms.
    /// </summary>
    public static SpeechDecoder CreateForKeyterms(DecoderSettings settings, CustomLanguageModel? custom) =>
        Create(settings, custom, forKeyterms: true);

    public bool IsForKeyterms => _config is not null;

    /// <summary>
    /// Held while native models are read (ps_init, ngram_model_read). pocketsphinx 5prealpha
    /// closes a model file twice while loading it; two loads at once then deadlock inside glibc's
    /// stdio locks (seen here: fclose of a FILE that the other thread's fopen had just reused).
    /// Loading one model at a time keeps the second close harmless; decoding stays parallel.
    /// </summary>
    internal static readonly object NativeLoadLock = new();

    private static SpeechDecoder Create(DecoderSettings settings, CustomLanguageModel? custom, bool forKeyterms)
    {
        lock (NativeLoadLock) return CreateLocked(settings, custom, forKeyterms);
    }

    private static SpeechDecoder CreateLocked(DecoderSettings settings, CustomLanguageModel? custom, bool forKeyterms)
    {
        if (custom?.LanguageWeights is { } languageWeights) settings = settings.With(languageWeights);
        if (custom is not null && custom.Weight is <= 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(custom), custom.Weight, "the interpolation weight must be between 0 and 1");
        foreach (var (what, path) in new[] {
                     ("acoustic model", settings.AcousticModelPath), ("dictionary", settings.DictionaryPath),
                     ("language model", settings.LanguageModelPath), ("custom language model", custom?.ModelPath),
                     ("custom dictionary", custom?.DictionaryPath) })
        {
            if (path is not null && !File.Exists(path) && !Directory.Exists(path))
                throw new DecoderException($"the {what} is missing", new FileNotFoundException(null, path));
        }

        // The language model is read here rather than by ps_init (-lm) so that base and custom
        // decoders take the same path; the words are added before the search exists, so the
        // search's word map is built once, with them.
        var config = CreateConfig(settings, includeLanguageModel: false);
        var decoder = ps_init(config);
        var models = new List<WeightedModel>();
        var kept = false;
        try
        {
            if (decoder.IsInvalid)
                throw new DecoderException("the speech decoder could not be started",
                    NativeFailure("ps_init", settings.ToPocketSphinxArguments()));
            var logMath = ps_get_logmath(decoder);
            models.Add(new("base", ReadLanguageModel(config, settings.LanguageModelPath, logMath), 1 - (custom?.Weight ?? 0)));
            if (custom is not null) models.Add(new("domain", ReadLanguageModel(config, custom.ModelPath, logMath), custom.Weight));
            var baseDictionary = forKeyterms ? PronouncingDictionary.LoadShared(settings.DictionaryPath) : null;
            if (baseDictionary is not null) KeepWordsOfModels(decoder, baseDictionary, models);
            var addedWords = custom?.DictionaryPath is { } dictionaryPath
                ? AddWords(decoder, PronouncingDictionary.Load(dictionaryPath).Entries)
                : [];
            if (custom is not null)
            {
                var domainModel = models[1].Model;
                // The set scores a word from each model; a new word that the domain text never
                // used still needs a unigram so that the decoder can hypothesize it.
                foreach (var word in addedWords)
                {
                    if (ngram_wid(domainModel, word) == ngram_unknown_wid(domainModel)
                        && ngram_model_add_word(domainModel, word, 1.0f) == NgramInvalidWordId)
                        throw new DecoderException("the custom language model could not be built",
                            NativeFailure("ngram_model_add_word", [word]));
                }
            }
            // A keyterm decoder's search is built here, over the models beneath the terms; each
            // request's term model joins that search's set (UseKeyterms).
            var searchName = forKeyterms ? KeytermSearch : models.Count == 1 ? "base" : "custom";
            if (forKeyterms && ps_add_word(decoder, SearchRebuildWord, "SIL", update: 0) < 0)
                throw new DecoderException("the speech decoder could not be started", NativeFailure("ps_add_word", [SearchRebuildWord]));
            if (models.Count == 1)
            {
                SetLanguageModel(decoder, searchName, models[0].Model);
            }
            else
            {
                using var interpolated = InterpolateLanguageModels(config, models);
                SetLanguageModel(decoder, searchName, interpolated);
            }
            kept = forKeyterms;
            return new SpeechDecoder(decoder, settings, searchName, forKeyterms ? config : null, baseDictionary);
        }
        catch
        {
            decoder.Dispose();
            throw;
        }
        finally
        {
            // A search holds its own references to its models; a keyterm decoder keeps its configuration.
            foreach (var model in models) model.Model.Dispose();
            if (!kept) config.Dispose();
        }
    }

    /// <summary>
    /// Replaces a keyterm decoder's dictionary by the entries of <paramref name="dictionary"/> whose
    /// word one of <paramref name="models"/> knows (79,420 of the base dictionary's 134,723 with the
    /// base model), in an order that pocketsphinx builds its lexicon tree from quickly.
    /// </summary>
    /// <remarks>
    /// Every request with new terms rebuilds the search (see <see cref="UseKeyterms"/>), and the parts
    /// of that rebuild that go through the whole dictionary (the search's word map and lexicon tree)
    /// shrink with it; the words left out are in no language model, so
    /// pocketsphinx leaves them out of its lexicon tree anyway and never hears them. A term's word among
    /// them is added with its dictionary pronunciations when a request brings it.
    /// The tree is built word by word, each word's root (its first two phones) found by a linear
    /// search of the roots made so far, in the order they were made: a root's first word comes
    /// earlier the more words share that root, and alternate pronunciations follow every first one,
    /// so that most words find their root among the first few. Building the tree over the base
    /// model's words took 0.44 G instructions from the whole dictionary, 0.41 G from the words kept in
    /// the dictionary's order and 0.29 G in this one. The words keep their order within a root.
    /// </remarks>
    private static void KeepWordsOfModels(SafeDecoderHandle decoder, PronouncingDictionary dictionary, IReadOnlyList<WeightedModel> models)
    {
        var kept = dictionary.Entries.GroupBy(p => p.Word, StringComparer.Ordinal)
            .Where(variants => models.Any(m => ngram_wid(m.Model, variants.Key) != ngram_unknown_wid(m.Model)))
            .Select(variants => variants.ToList()).ToList();
        var wordsOfRoot = kept.SelectMany(variants => variants).Where(p => p.Phones.Count > 1)
            .CountBy(p => (p.Phones[0], p.Phones[1])).ToDictionary();
        var ordered = kept.OrderByDescending(variants => variants[0].Phones.Count > 1
            ? wordsOfRoot[(variants[0].Phones[0], variants[0].Phones[1])] : 0).ToList();
        var path = Path.Combine(Path.GetTempPath(), $"keyterm-decoder-{Guid.NewGuid():N}.dict");
        try
        {
            // Every word's first pronunciation, then every second one, and so on.
            var variantsFirst = Enumerable.Range(0, ordered.Max(variants => variants.Count))
                .SelectMany(variant => ordered.Where(v => v.Count > variant).Select(v => v[variant]));
            PronouncingDictionary.Write(path, variantsFirst);
            if (ps_load_dict(decoder, path, null, null) != 0)
                throw new DecoderException("the speech decoder could not be started", NativeFailure("ps_load_dict", [path]));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The words of a language model as read (its unigrams; words added since are not listed).</summary>
    private static IEnumerable<string> Vocabulary(SafeNgramModelHandle model)
    {
        var unigrams = Marshal.ReadInt32(ngram_model_get_counts(model));
        for (var id = 0; id < unigrams; id++)
            if (Marshal.PtrToStringUTF8(ngram_word(model, id)) is { } word) yield return word;
    }

    /// <summary>
    /// Puts one request's keyterms in place of the previous request's: the search's set drops the
    /// previous term model and takes this one, interpolated over the models beneath it; the new words
    /// (every variant) enter the dictionary, and the search's word map and lexicon tree are built
    /// again once. A word a previous request added stays in the dictionary but in no language model,
    /// so the search never hears it. The same terms as the previous request's cost nothing; terms
    /// whose words beyond the models beneath are those of the tree already (terms of words the models
    /// know, say) keep the tree: pocketsphinx's tree holds a dictionary word when a model of the set
    /// knows it, so a new one would be the same, and the set's word map stays valid (its words are
    /// the dictionary's, and the term model's ids for them are looked up when it joins the set).
    /// </summary>
    /// <remarks>
    /// pocketsphinx 5prealpha has no call that rebuilds a search, other than adding a word with
    /// update set; a new search (ps_set_lm) would also build two word maps of the whole vocabulary
    /// and allocate its tables again, which made up most of a request's cost. So the set is changed
    /// in place and the search rebuilt by adding the next alternate of a word that no language model
    /// holds (<see cref="SearchRebuildWord"/>): it never enters the lexicon tree. The models beneath
    /// the terms never take a request's words in: while they are added the set scores its term model
    /// alone (which has them), and a set of models beneath has an unknown word that takes the rebuild
    /// word's alternate; the base model takes it as a unigram that no dictionary word looks up (the
    /// search scores a word by its first pronunciation's name).
    /// </remarks>
    public void UseKeyterms(KeytermBias keyterms)
    {
        if (_config is null)
            throw new InvalidOperationException("this decoder was not created for keyterms");
        if (keyterms.Weight is <= 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(keyterms), keyterms.Weight, "the keyterm weight must be between 0 and 1");
        if (_termsInUse == keyterms.Identity) return;
        if (!File.Exists(keyterms.TermArpaPath))
            throw new DecoderException("the keyterm language model is missing", new FileNotFoundException(null, keyterms.TermArpaPath));
        _termsInUse = null;
        var treeTermWords = _treeTermWords;
        _treeTermWords = null;
        var set = ps_get_lm(_decoder, KeytermSearch);
        if (set == IntPtr.Zero) throw new DecoderException("the keyterms could not be applied", NativeFailure("ps_get_lm", [KeytermSearch]));
        var beneath = ngram_model_set_lookup(set, BeneathTermsModelName);
        if (beneath == IntPtr.Zero)
            throw new DecoderException("the keyterms could not be applied", NativeFailure("ngram_model_set_lookup", [BeneathTermsModelName]));
        var termModel = ReadLanguageModel(_config, keyterms.TermArpaPath, _logMath);
        var termWords = Vocabulary(termModel).ToList();
        var termWordsBeyondModels = termWords.Where(word => ngram_wid(beneath, word) == ngram_unknown_wid(beneath)).ToHashSet(StringComparer.Ordinal);
        var rebuildSearch = treeTermWords is null || !termWordsBeyondModels.SetEquals(treeTermWords);
        if (rebuildSearch)
        {
            // The rebuild below maps the set's words from the dictionary again. Until then the set
            // holds one word, so that what comes before it does not go through a map of every word:
            // each word added reallocates the set's map and sets every row of it again (0.09 G
            // instructions for 160 variants over 80k words), and a term model joining the set looks
            // its id up for every word (0.03 G), only for the rebuild to look them all up again.
            ngram_model_set_map_words(set, [SentenceEndWord], 1);
        }
        if (_termModel is not null)
        {
            var removed = ngram_model_set_remove(set, KeytermModelName, reuseWordMap: 1);
            if (removed != IntPtr.Zero) ngram_model_free(removed);
            _termModel.Dispose();
            _termModel = null;
        }
        ngram_model_set_add(set, ngram_model_retain(termModel), KeytermModelName, (float)keyterms.Weight, reuseWordMap: 1);
        _termModel = termModel;
        if (ngram_model_set_select(set, KeytermModelName) == IntPtr.Zero)
            throw new DecoderException("the keyterms could not be applied", NativeFailure("ngram_model_set_select", [KeytermModelName]));
        // The terms' new words, and those the base dictionary has but this decoder's left out (KeepWordsOfModels).
        var dictionaryWords = termWords.SelectMany(word => _baseDictionary!.Lookup(word));
        _wordsAdded += AddWords(_decoder, keyterms.NewWords.Concat(dictionaryWords), allVariants: true).Count;
        if (ngram_model_set_interp(set, [BeneathTermsModelName, KeytermModelName], [(float)(1 - keyterms.Weight), (float)keyterms.Weight]) == IntPtr.Zero)
            throw new DecoderException("the keyterms could not be applied", NativeFailure("ngram_model_set_interp", [KeytermModelName]));
        if (rebuildSearch)
        {
            var rebuild = $"{SearchRebuildWord}({_wordsAdded + 2})";
            if (ps_add_word(_decoder, rebuild, "SIL", update: 1) < 0)
                throw new DecoderException("the keyterms could not be applied", NativeFailure("ps_add_word", [rebuild]));
            _wordsAdded++;
        }
        _treeTermWords = termWordsBeyondModels;
        _termsInUse = keyterms.Identity;
    }

    /// <summary>
    /// Words that requests' keyterms added to this decoder's dictionary, variants counted: they stay
    /// (pocketsphinx cannot remove a word), each making every later search a little larger, so a
    /// pool replaces a decoder that has taken in too many (<see cref="DecoderPool"/>).
    /// </summary>
    public int KeytermWordsAdded => _wordsAdded;

    /// <summary>The identity of the keyterms this decoder's search is ready for (<see cref="KeytermBias.Identity"/>); null when none.</summary>
    public string? KeytermsInUse => _termsInUse;

    private const string KeytermSearch = "keyterms";
    private const string KeytermModelName = "keyterms";
    // What pocketsphinx names the model a search was given, in the set it wraps it in.
    private const string BeneathTermsModelName = "default";
    // A keyterm decoder's dictionary word that no language model holds; adding its next alternate
    // rebuilds the search (see UseKeyterms).
    private const string SearchRebuildWord = "<keyterms>";
    private const string SentenceEndWord = "</s>";

    internal static SafeConfigHandle CreateConfig(DecoderSettings settings, bool includeLanguageModel)
    {
        var arguments = new List<string>();
        var all = settings.ToPocketSphinxArguments();
        for (var i = 0; i + 1 < all.Count; i += 2)
        {
            if (!includeLanguageModel && all[i] == "-lm") continue;
            arguments.Add(all[i]);
            arguments.Add(all[i + 1]);
        }
        var config = cmd_ln_parse_r(IntPtr.Zero, ps_args(), arguments.Count, arguments.ToArray(), strict: 1);
        if (config.IsInvalid)
            throw new DecoderException("the speech decoder settings are not valid",
                NativeFailure("cmd_ln_parse_r", arguments));
        return config;
    }

    internal static SafeNgramModelHandle ReadLanguageModel(SafeConfigHandle config, string path, IntPtr logMath)
    {
        SafeNgramModelHandle model;
        lock (NativeLoadLock) model = ngram_model_read(config, path, NgramAuto, logMath);
        if (model.IsInvalid)
            throw new DecoderException("the language model could not be read (is it an ARPA or binary n-gram file?)",
                NativeFailure("ngram_model_read", [path]));
        return model;
    }

    /// <summary>Interpolates the models: P(w|h) = Σ weight·P_model(w|h) (the weights sum to 1).</summary>
    internal static SafeNgramModelHandle InterpolateLanguageModels(SafeConfigHandle config, IReadOnlyList<WeightedModel> models)
    {
        var added = new bool[models.Count];
        try
        {
            for (var i = 0; i < models.Count; i++) models[i].Model.DangerousAddRef(ref added[i]);
            var set = ngram_model_set_init(config, models.Select(m => m.Model.DangerousGetHandle()).ToArray(),
                models.Select(m => m.Name).ToArray(), models.Select(m => (float)m.Weight).ToArray(), models.Count);
            if (set.IsInvalid)
                throw new DecoderException("the language models could not be combined",
                    NativeFailure("ngram_model_set_init", models.Select(m => m.Name)));
            return set;
        }
        finally
        {
            for (var i = 0; i < models.Count; i++) if (added[i]) models[i].Model.DangerousRelease();
        }
    }

    /// <summary>
    /// Adds the words the decoder's dictionary lacks: the first pronunciation of each, or with
    /// <paramref name="allVariants"/> every one (the second as "word(2)", …); returns the entries added.
    /// </summary>
    private static List<string> AddWords(SafeDecoderHandle decoder, IEnumerable<Pronunciation> words, bool allVariants = false)
    {
        var added = new List<string>();
        foreach (var variants in words.GroupBy(p => p.Word, StringComparer.Ordinal))
        {
            var known = ps_lookup_word(decoder, variants.Key);
            if (known != IntPtr.Zero)
            {
                ckd_free(known);
                continue;
            }
            var number = 0;
            foreach (var entry in allVariants ? variants.DistinctBy(p => string.Join(' ', p.Phones)) : variants.Take(1))
            {
                var name = ++number == 1 ? entry.Word : $"{entry.Word}({number})";
                // update = 0: the search set next is built with these words.
                if (ps_add_word(decoder, name, string.Join(' ', entry.Phones), update: 0) < 0)
                    throw new DecoderException($"the word \"{entry.Word}\" has a pronunciation that the acoustic model cannot use",
                        NativeFailure("ps_add_word", [name, string.Join(' ', entry.Phones)]));
                added.Add(name);
            }
        }
        return added;
    }

    private static void SetLanguageModel(SafeDecoderHandle decoder, string name, SafeNgramModelHandle model)
    {
        // The search keeps its own reference to the model; ours is released by the caller.
        if (ps_set_lm(decoder, name, model) != 0 || ps_set_search(decoder, name) != 0)
            throw new DecoderException("the language model could not be used by the decoder",
                NativeFailure("ps_set_lm", [name]));
    }

    internal static InvalidOperationException NativeFailure(string function, IEnumerable<string> arguments) =>
        new($"{function} failed ({string.Join(' ', arguments)})");

    /// <summary>
    /// Decodes an audio file in any format ffmpeg reads, converting it on the fly; a 16 kHz mono
    /// 16-bit PCM WAV file is read directly (the same samples, no ffmpeg process).
    /// </summary>
    /// <param name="progress">Told the seconds of audio decoded so far, after each utterance.</param>
    /// <exception cref="AudioDecodeException">The file is not usable audio (with ffmpeg's reason).</exception>
    public async Task<Transcript> DecodeFileAsync(string audioPath, CancellationToken cancellationToken = default,
        IProgress<double>? progress = null)
    {
        await using var audio = await PcmAudioStream.OpenAsync(audioPath, cancellationToken, _maxAudioSeconds);
        var transcript = await DecodeAsync(audio.Pcm, cancellationToken, progress);
        await audio.CompleteAsync(cancellationToken);
        return transcript;
    }

    /// <summary>
    /// Decodes an audio file once and gives, for each of <paramref name="candidates"/>, the words the
    /// decoder's last pass finds with those weights: the same word lattice of each utterance
    /// searched again for its best path with the language model scored at that language weight and
    /// word insertion penalty. The search's first passes are not redone, so a candidate far from the
    /// decoder's own weights sees only the words those passes kept; at the decoder's own weights the
    /// words are exactly the decode's. Tuning thus costs one decode per language model, not per weight.
    /// </summary>
    public async Task<IReadOnlyList<string>> DecodeFileRescoredAsync(string audioPath, IReadOnlyList<LanguageWeights> candidates,
        CancellationToken cancellationToken = default)
    {
        if (IsForKeyterms) throw new InvalidOperationException("a decoder for keyterms cannot rescore");
        var rescored = candidates.Select(_ => new List<string>()).ToList();
        await using var audio = await PcmAudioStream.OpenAsync(audioPath, cancellationToken, _maxAudioSeconds);
        await DecodeAsync(audio.Pcm, cancellationToken, null, (candidates, rescored));
        await audio.CompleteAsync(cancellationToken);
        return rescored.Select(words => string.Join(' ', words)).ToList();
    }

    /// <summary>
    /// Decodes 16 kHz mono 16-bit little-endian PCM read in blocks from <paramref name="pcm"/>.
    /// Memory holds at most one utterance (<see cref="DecoderSettings.MaxUtteranceSeconds"/>): the
    /// blocks are read straight into a pooled utterance buffer, which pocketsphinx reads in place.
    /// Cancellation is seen before every block. <paramref name="progress"/> is told the seconds
    /// decoded after each utterance, so long audio shows real progress.
    /// </summary>
    public Task<Transcript> DecodeAsync(Stream pcm, CancellationToken cancellationToken = default,
        IProgress<double>? progress = null) => DecodeAsync(pcm, cancellationToken, progress, rescoring: null);

    private async Task<Transcript> DecodeAsync(Stream pcm, CancellationToken cancellationToken, IProgress<double>? progress,
        (IReadOnlyList<LanguageWeights> Candidates, List<List<string>> Texts)? rescoring)
    {
        var capacity = _maxUtteranceSamples * BytesPerSample;
        var buffer = ArrayPool<byte>.Shared.Rent(capacity);
        var words = new List<RecognizedWord>();
        var text = new List<string>();
        long utteranceStartSample = 0;
        var buffered = 0; // bytes
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var read = await pcm.ReadAsync(buffer.AsMemory(buffered, Math.Min(ReadBlockBytes, capacity - buffered)),
                    cancellationToken);
                if (read == 0) break;
                buffered += read;
                if (buffered < capacity) continue;

                // A full utterance: decode up to its quietest moment in the second half, keep the rest.
                var samples = Samples(buffer, capacity);
                var half = _maxUtteranceSamples / 2;
                var cut = Math.Min(QuietestPoint(samples[half..]) + half, _maxUtteranceSamples);
                cancellationToken.ThrowIfCancellationRequested();
                DecodeUtterance(samples[..cut], utteranceStartSample, text, words);
                if (rescoring is { } r) Rescore(r.Candidates, r.Texts);
                buffer.AsSpan(cut * BytesPerSample, buffered - cut * BytesPerSample).CopyTo(buffer);
                buffered -= cut * BytesPerSample;
                utteranceStartSample += cut;
                progress?.Report(utteranceStartSample / (double)SampleRate);
            }
            // An odd last byte is half a sample: dropped.
            var remaining = buffered / BytesPerSample;
            if (remaining > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                DecodeUtterance(Samples(buffer, buffered), utteranceStartSample, text, words);
                if (rescoring is { } r) Rescore(r.Candidates, r.Texts);
            }
            return new Transcript(string.Join(' ', text), words,
                (utteranceStartSample + remaining) / (double)SampleRate);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The whole 16-bit samples in the first <paramref name="bytes"/> of the buffer, in place.</summary>
    private static ReadOnlySpan<short> Samples(byte[] buffer, int bytes) =>
        MemoryMarshal.Cast<byte, short>(buffer.AsSpan(0, bytes - bytes % BytesPerSample));

    /// <summary>The start of the quietest 100 ms window: a pause, where cutting splits no word.</summary>
    private static int QuietestPoint(ReadOnlySpan<short> samples)
    {
        const int window = SampleRate / 10, hop = SampleRate / 50;
        var best = 0;
        var bestEnergy = long.MaxValue;
        for (var start = 0; start + window <= samples.Length; start += hop)
        {
            long energy = 0;
            foreach (var sample in samples.Slice(start, window)) energy += sample * sample;
            if (energy < bestEnergy) { bestEnergy = energy; best = start; }
        }
        return best + window / 2;
    }

    private unsafe void DecodeUtterance(ReadOnlySpan<short> samples, long startSample, List<string> text,
        List<RecognizedWord> words)
    {
        if (ps_start_utt(_decoder) < 0)
            throw new DecoderException("the speech decoder failed", NativeFailure("ps_start_utt", []));
        int processed;
        fixed (short* data = samples)
            processed = ps_process_raw(_decoder, data, (nuint)samples.Length, noSearch: 0, fullUtterance: 1);
        if (ps_end_utt(_decoder) < 0 || processed < 0)
            throw new DecoderException("the speech decoder failed", NativeFailure("ps_process_raw", []));

        var hypothesis = Marshal.PtrToStringUTF8(ps_get_hyp(_decoder, out _));
        if (!string.IsNullOrWhiteSpace(hypothesis)) text.Add(hypothesis);

        var offsetSeconds = startSample / (double)SampleRate;
        for (var segment = ps_seg_iter(_decoder); segment != IntPtr.Zero; segment = ps_seg_next(segment))
        {
            var word = Marshal.PtrToStringUTF8(ps_seg_word(segment)) ?? "";
            if (IsFiller(word)) continue;
            ps_seg_frames(segment, out var startFrame, out var endFrame);
            var posterior = ps_seg_prob(segment, out _, out _, out _);
            words.Add(new RecognizedWord(PronouncingDictionary.WithoutAlternateNumber(word),
                offsetSeconds + startFrame / _framesPerSecond,
                offsetSeconds + (endFrame + 1) / _framesPerSecond,
                Math.Clamp(logmath_exp(_logMath, posterior), 0, 1)));
        }
    }

    /// <summary>The last utterance's lattice searched again at each candidate's weights; the decoder's own weights are restored after.</summary>
    private void Rescore(IReadOnlyList<LanguageWeights> candidates, List<List<string>> texts)
    {
        var lattice = ps_get_lattice(_decoder);
        if (lattice == IntPtr.Zero) return; // nothing was heard: no words at any weight
        var lmSet = ps_get_lm(_decoder, _searchName);
        if (lmSet == IntPtr.Zero) throw new DecoderException("the speech decoder failed", NativeFailure("ps_get_lm", [_searchName]));
        try
        {
            for (var i = 0; i < candidates.Count; i++)
            {
                ngram_model_apply_weights(lmSet, (float)candidates[i].LanguageWeight, (float)candidates[i].WordInsertionPenalty);
                var link = ps_lattice_bestpath(lattice, lmSet, (float)LanguageWeights.BestPathRatio, 1f / AcousticScale);
                if (link == IntPtr.Zero) continue;
                var hypothesis = Marshal.PtrToStringUTF8(ps_lattice_hyp(lattice, link));
                if (!string.IsNullOrWhiteSpace(hypothesis)) texts[i].Add(hypothesis);
            }
        }
        finally
        {
            ngram_model_apply_weights(lmSet, (float)_weights.LanguageWeight, (float)_weights.WordInsertionPenalty);
        }
    }

    // pocketsphinx's default -ascale: it scales acoustic scores for posteriors only, never the best path's choice.
    private const float AcousticScale = 20;

    // <s>, </s>, <sil> and the noise words ([NOISE], ++BREATH++) of the filler dictionary.
    private static bool IsFiller(string word) =>
        word.Length == 0 || word[0] is '<' or '[' || word.StartsWith("++", StringComparison.Ordinal);

    public void Dispose()
    {
        _decoder.Dispose();
        // The models and configuration go after the decoder, whose searches used them.
        _termModel?.Dispose();
        _config?.Dispose();
    }
}
