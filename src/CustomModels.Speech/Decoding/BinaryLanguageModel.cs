using static CustomModels.Speech.Decoding.PocketSphinxNative;

namespace CustomModels.Speech.Decoding;

/// <summary>
/// An n-gram model in sphinxbase's binary trie format, as <c>sphinx_lm_convert</c> writes it.
/// sphinxbase reads ARPA text slowly and with much memory while it builds its trie, and every
/// decoder reads its own copy: written once from the ARPA file, the binary is what the decoders and
/// the weight choice read (measured, 2.7 million n-grams at load average 23: the ARPA file in 11.9 s
/// and 198 MB, its binary in well under a second). The probabilities are the same.
/// </summary>
public static class BinaryLanguageModel
{
    /// <summary>
    /// Reading the ARPA file's share of the work (its text parsed as it is read), the rest building
    /// the trie and writing it (measured on the pruned 200 MB bench model: 3.5 s of 5.3 s).
    /// </summary>
    private const double ReadShare = 0.65;

    /// <summary>Reads <paramref name="arpaPath"/> with sphinxbase and writes it to <paramref name="binaryPath"/>, which appears only once complete.</summary>
    /// <param name="progress">
    /// The fraction done: while sphinxbase reads, how much of the ARPA file it has read (polled
    /// about twice a second); then once it has, and once the binary is written.
    /// </param>
    /// <exception cref="DecoderException">sphinxbase could not read the model or write the binary.</exception>
    public static void Write(DecoderSettings settings, string arpaPath, string binaryPath, Action<double>? progress = null)
    {
        using var logMath = logmath_init(InterpolationWeight.LogBase, 0, 0);
        if (logMath.IsInvalid) throw new DecoderException("the language model could not be converted");
        using var config = SpeechDecoder.CreateConfig(settings, includeLanguageModel: false);
        SafeNgramModelHandle model;
        using (progress is null ? null : new FileReadProgress(arpaPath, f => progress(ReadShare * f)))
            model = SpeechDecoder.ReadLanguageModel(config, arpaPath, logMath.DangerousGetHandle());
        using var _ = model;
        progress?.Invoke(ReadShare);
        var partialPath = binaryPath + ".partial";
        try
        {
            int written;
            lock (SpeechDecoder.NativeLoadLock) written = ngram_model_write(model, partialPath, NgramBinary); // sphinxbase's file handling, as when reading
            if (written != 0)
                throw new DecoderException("the language model could not be written in binary", SpeechDecoder.NativeFailure("ngram_model_write", [partialPath]));
            File.Move(partialPath, binaryPath, overwrite: true);
            progress?.Invoke(1);
        }
        finally
        {
            File.Delete(partialPath);
        }
    }
}
