using CustomModels.Speech.Text;

namespace CustomModels.Speech.Lexicon;

/// <summary>The pronunciations the base dictionary lacked, and the words no pronunciation could be found for.</summary>
public sealed record LexiconExtension(IReadOnlyList<Pronunciation> NewWords, IReadOnlyList<string> Unpronounceable);

/// <summary>
/// Finds the words of a training text that the base dictionary lacks and gives each a
/// pronunciation from espeak-ng: the custom dictionary a custom model is decoded with.
/// </summary>
public static class LexiconBuilder
{
    /// <param name="sentences">Training text, one or more sentences per item; normalized here.</param>
    public static async Task<LexiconExtension> ExtendAsync(IEnumerable<string> sentences,
        PronouncingDictionary baseDictionary, EspeakPronouncer pronouncer, CancellationToken cancellationToken = default)
    {
        var missing = sentences
            .SelectMany(TranscriptNormalizer.Words)
            .Where(word => !baseDictionary.Contains(word))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Order(StringComparer.Ordinal)
            .ToList();
        var pronounced = await pronouncer.PronounceAsync(missing, cancellationToken);
        return new LexiconExtension(
            missing.Where(pronounced.ContainsKey).Select(word => new Pronunciation(word, pronounced[word])).ToList(),
            missing.Where(word => !pronounced.ContainsKey(word)).ToList());
    }

    /// <summary>Reads the text file, extends, and writes the new words to <paramref name="outputDictionaryPath"/>.</summary>
    public static async Task<LexiconExtension> ExtendFileAsync(string textPath, string outputDictionaryPath,
        PronouncingDictionary baseDictionary, EspeakPronouncer pronouncer, CancellationToken cancellationToken = default)
    {
        var extension = await ExtendAsync(File.ReadLines(textPath), baseDictionary, pronouncer, cancellationToken);
        PronouncingDictionary.Write(outputDictionaryPath, extension.NewWords);
        return extension;
    }
}
