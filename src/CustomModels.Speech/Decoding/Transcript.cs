namespace CustomModels.Speech.Decoding;

/// <summary>A recognized word: times in seconds from the start of the audio, confidence a posterior in 0..1.</summary>
public sealed record RecognizedWord(string Word, double StartSeconds, double EndSeconds, double Confidence);

/// <summary>What the decoder heard in one audio file.</summary>
public sealed record Transcript(string Text, IReadOnlyList<RecognizedWord> Words, double AudioSeconds);

/// <summary>
/// A domain language model interpolated with the base one at run time:
/// P(w|h) = (1 − Weight)·P_base(w|h) + Weight·P_domain(w|h). <see cref="DictionaryPath"/> holds the
/// pronunciations of the words the base dictionary lacks (a file from <c>LexiconBuilder</c>), or null.
/// <see cref="LanguageWeights"/>, when set, replace the decoder's (a model tuned on development audio).
/// <see cref="ModelPath"/> is an ARPA file or sphinxbase's binary (<see cref="BinaryLanguageModel"/>).
/// </summary>
public sealed record CustomLanguageModel(string ModelPath, string? DictionaryPath, double Weight, LanguageWeights? LanguageWeights = null);
