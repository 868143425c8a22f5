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

    /// <summary>Words handed to a pronouncer at once: progress is reported after each batch.</summary>
    private const int WordsPerBatch = 2000;

    /// <param name="words">Normalized words (as <see cref="TranscriptNormalizer.Words"/> gives them), repeated or not: each new one is pronounced once.</param>
    /// <param name="pronouncers">Asked in order; each only for the words the ones before it could not pronounce.</param>
    /// <param name="progress">The fraction of the new words settled (pronounced, or left to the last pronouncer), after each batch.</param>
    public static async Task<LexiconExtension> ExtendWithWordsAsync(IEnumerable<string> words,
        PronouncingDictionary baseDictionary, IReadOnlyList<IPronouncer> pronouncers, CancellationToken cancellationToken = default,
        Action<double>? progress = null)
    {
        var missing = words
            .Where(word => !baseDictionary.Contains(word))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Order(StringComparer.Ordinal)
            .ToList();
        var pronounced = new Dictionary<string, IReadOnlyList<Pronunciation>>(StringComparer.OrdinalIgnoreCase);
        var settled = 0;
        var sourceOf = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var p = 0; p < pronouncers.Count; p++)
        {
            var remaining = missing.Where(word => !pronounced.ContainsKey(word)).ToList();
            if (remaining.Count == 0) break;
            var last = p == pronouncers.Count - 1;
            foreach (var batch in remaining.Chunk(WordsPerBatch))
            {
                foreach (var (word, variants) in await pronouncers[p].PronounceAsync(batch, cancellationToken))
                {
                    pronounced[word] = variants;
                    sourceOf[word] = pronouncers[p].Source;
                }
                // A word is settled once pronounced, or once the last pronouncer has been asked.
                settled += last ? batch.Length : batch.Count(pronounced.ContainsKey);
                progress?.Invoke((double)settled / missing.Count);
            }
        }
        progress?.Invoke(1);
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
