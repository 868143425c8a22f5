using CustomModels.Speech.Text;

namespace CustomModels.Speech.Lexicon;

/// <summary>
/// The pronunciations the base dictionary lacked (a word's variants one after the other), where
/// each word's came from (<see cref="IPronouncer.Source"/>), and the words nobody could pronounce.
/// </summary>
public sealed record LexiconExtension(IReadOnlyList<Pronunciation> NewWords, IReadOnlyDictionary<string, string> SourceOf,
    IReadOnlyList<string> Unpronounceable);

/// <summary>
/// Finds the words of a training text that the base dictionary lacks and gives each its
/// pronunciations from the first pronouncer that has any: the custom dictionary a custom model
/// is decoded with.
/// </summary>
public static class LexiconBuilder
{
    /// <param name="sentences">Training text, one or more sentences per item; normalized here.</param>
    /// <param name="pronouncers">Asked in order; each only for the words the ones before it could not pronounce.</param>
    public static Task<LexiconExtension> ExtendAsync(IEnumerable<string> sentences,
        PronouncingDictionary baseDictionary, IReadOnlyList<IPronouncer> pronouncers, CancellationToken cancellationToken = default) =>
        ExtendWithWordsAsync(sentences.SelectMany(TranscriptNormalizer.Words), baseDictionary, pronouncers, cancellationToken);

    /// <param name="words">Normalized words (as <see cref="TranscriptNormalizer.Words"/> gives them), repeated or not: each new one is pronounced once.</param>
    /// <param name="pronouncers">Asked in order; each only for the words the ones before it could not pronounce.</param>
    public static async Task<LexiconExtension> ExtendWithWordsAsync(IEnumerable<string> words,
        PronouncingDictionary baseDictionary, IReadOnlyList<IPronouncer> pronouncers, CancellationToken cancellationToken = default)
    {
        var missing = words
            .Where(word => !baseDictionary.Contains(word))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Order(StringComparer.Ordinal)
            .ToList();
        var pronounced = new Dictionary<string, IReadOnlyList<Pronunciation>>(StringComparer.OrdinalIgnoreCase);
        var sourceOf = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pronouncer in pronouncers)
        {
            var remaining = missing.Where(word => !pronounced.ContainsKey(word)).ToList();
            if (remaining.Count == 0) break;
            foreach (var (word, variants) in await pronouncer.PronounceAsync(remaining, cancellationToken))
            {
                pronounced[word] = variants;
                sourceOf[word] = pronouncer.Source;
            }
        }
        return new LexiconExtension(
            missing.Where(pronounced.ContainsKey).SelectMany(word => pronounced[word]).ToList(),
            sourceOf,
            missing.Where(word => !pronounced.ContainsKey(word)).ToList());
    }

    /// <summary>Reads the text file, extends, and writes the new words to <paramref name="outputDictionaryPath"/>.</summary>
    public static async Task<LexiconExtension> ExtendFileAsync(string textPath, string outputDictionaryPath,
        PronouncingDictionary baseDictionary, IReadOnlyList<IPronouncer> pronouncers, CancellationToken cancellationToken = default)
    {
        var extension = await ExtendAsync(File.ReadLines(textPath), baseDictionary, pronouncers, cancellationToken);
        PronouncingDictionary.Write(outputDictionaryPath, extension.NewWords);
        return extension;
    }
}
