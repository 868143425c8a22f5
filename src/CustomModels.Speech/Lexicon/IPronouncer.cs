namespace CustomModels.Speech.Lexicon;

/// <summary>
/// Gives words that a recognizer's dictionary lacks one or more ways to say them, in the acoustic
/// model's phones: the seam the lexicon stage (and keyterms) pronounce new words through.
/// </summary>
public interface IPronouncer
{
    /// <summary>Where the pronunciations come from, as the evaluation report names it ("g2p", "espeak-ng").</summary>
    string Source { get; }

    /// <summary>
    /// The pronunciations of each word, most likely first; a word that cannot be pronounced is
    /// left out of the result.
    /// </summary>
    Task<IReadOnlyDictionary<string, IReadOnlyList<Pronunciation>>> PronounceAsync(IReadOnlyCollection<string> words,
        CancellationToken cancellationToken = default);
}
