using System.Collections.Concurrent;
using System.Security.Cryptography;
using CustomModels.Core.Data;
using CustomModels.Core.Storage;
using CustomModels.Speech.Decoding;
using CustomModels.Speech.Lexicon;
using CustomModels.Speech.Settings;
using Microsoft.Extensions.Logging;

namespace CustomModels.Core.Training;

/// <summary>
/// Who pronounces a recognizer's new words, in order: a grapheme-to-phoneme model trained on the
/// recognizer's own dictionary, then espeak-ng for the words the model cannot spell (a letter the
/// dictionary never uses) and for a dictionary too small to learn from. The model is trained once
/// per dictionary (its content hash names it) and cached as `g2p/{hash}.arpa` under the data folder,
/// or under CUSTOMMODELS_G2P_CACHE_DIR when set (a cache shared by several data folders).
/// </summary>
public sealed class Pronouncers(StorageSettings storage, ILogger<Pronouncers> logger)
{
    /// <summary>Below this many words a dictionary teaches a model too little; espeak-ng pronounces alone.</summary>
    public const int MinDictionaryWords = 5000;

    readonly ConcurrentDictionary<string, Lazy<PronouncerTraining>> _models = new(StringComparer.Ordinal);

    readonly string CacheDirectory = EnvironmentSettings.Text("CUSTOMMODELS_G2P_CACHE_DIR") ?? Path.Combine(storage.DataDirectory, StorageLayout.PronouncerCacheFolder);

    /// <summary>How often a caller waiting for the model to be trained hears how far it is.</summary>
    static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);

    /// <summary>A model being loaded or trained, shared by every caller that waits for it, and the fraction of its training done.</summary>
    sealed class PronouncerTraining
    {
        double _fraction;

        public PronouncerTraining(Func<Action<double>, GraphonePronouncer> train) =>
            Model = Task.Run(() => train(f => Volatile.Write(ref _fraction, f)));

        public Task<GraphonePronouncer> Model { get; }

        public double Fraction => Volatile.Read(ref _fraction);
    }

    /// <summary>The pronouncers for new words of <paramref name="settings"/>'s recognizer, most trusted first.</summary>
    /// <param name="progress">
    /// While the grapheme-to-phoneme model is trained (on first use of a dictionary, by this caller
    /// or another), the fraction of its training done, about once a second.
    /// </param>
    public async Task<IReadOnlyList<IPronouncer>> ForAsync(DecoderSettings settings, PronouncingDictionary dictionary,
        CancellationToken cancellationToken, Action<double>? progress = null)
    {
        var espeak = EspeakPronouncer.ForAcousticModel(settings.AcousticModelPath);
        if (dictionary.WordCount < MinDictionaryWords) return [espeak];
        var training = _models.GetOrAdd(settings.DictionaryPath,
            path => new Lazy<PronouncerTraining>(() => new PronouncerTraining(report => LoadOrTrain(path, dictionary, report))));
        try
        {
            var model = training.Value.Model;
            while (progress is not null && !model.IsCompleted)
            {
                await Task.WhenAny(model, Task.Delay(ProgressInterval, cancellationToken));
                cancellationToken.ThrowIfCancellationRequested();
                progress(training.Value.Fraction);
            }
            return [await model.WaitAsync(cancellationToken), espeak];
        }
        catch (Exception) when (training.Value.Model.IsFaulted)
        {
            // A failed training (a full disk) is tried again by the next caller, not remembered.
            _models.TryRemove(KeyValuePair.Create(settings.DictionaryPath, training));
            throw;
        }
    }

    readonly ConcurrentDictionary<string, Lazy<(PronouncingDictionary Dictionary, HashSet<char> Letters)>> _dictionaries = new(StringComparer.Ordinal);

    /// <summary>The recognizer's dictionary, read once per process.</summary>
    public PronouncingDictionary Dictionary(DecoderSettings settings) => DictionaryAndLetters(settings).Dictionary;

    /// <summary>
    /// Whether a normalized word can be pronounced without asking a pronouncer: a dictionary word, or
    /// one spelt with letters the dictionary uses (which the model trained on it can spell); with a
    /// dictionary too small for a model, espeak-ng pronounces any word.
    /// </summary>
    public bool CanPronounce(DecoderSettings settings, string word)
    {
        var (dictionary, letters) = DictionaryAndLetters(settings);
        return dictionary.WordCount < MinDictionaryWords || dictionary.Contains(word) || word.All(letters.Contains);
    }

    (PronouncingDictionary Dictionary, HashSet<char> Letters) DictionaryAndLetters(DecoderSettings settings) =>
        _dictionaries.GetOrAdd(settings.DictionaryPath, path => new(() =>
        {
            var dictionary = PronouncingDictionary.Load(path);
            return (dictionary, dictionary.Entries.SelectMany(e => e.Word).ToHashSet());
        })).Value;

    GraphonePronouncer LoadOrTrain(string dictionaryPath, PronouncingDictionary dictionary, Action<double> progress)
    {
        string hash;
        using (var file = File.OpenRead(dictionaryPath)) hash = Convert.ToHexStringLower(SHA256.HashData(file))[..16];
        var path = Path.Combine(CacheDirectory, $"{hash}.arpa");
        if (File.Exists(path)) return GraphonePronouncer.Load(path);

        logger.LogInformation("Training the grapheme-to-phoneme model of {Dictionary} ({Words} words); cached as {Path}",
            dictionaryPath, dictionary.WordCount, path);
        var model = GraphonePronouncer.Train(dictionary.Entries.ToList(), progress);
        Directory.CreateDirectory(CacheDirectory);
        model.Save(path);
        return model;
    }
}
