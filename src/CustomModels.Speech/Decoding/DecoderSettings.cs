namespace CustomModels.Speech.Decoding;

/// <summary>
/// What a decoder is made of: the acoustic model, pronunciation dictionary and base language
/// model, plus any pocketsphinx parameters (e.g. "-beam" → "1e-60"). With no parameters the
/// decoder uses pocketsphinx's own defaults and the acoustic model's feat.params, exactly as
/// pocketsphinx_batch does with the same <see cref="ToPocketSphinxArguments"/>.
/// </summary>
public sealed record DecoderSettings
{
    public const string DebianModelDirectory = "/usr/share/pocketsphinx/model/en-us";

    public string AcousticModelPath { get; init; } = Path.Combine(DebianModelDirectory, "en-us");
    public string DictionaryPath { get; init; } = Path.Combine(DebianModelDirectory, "cmudict-en-us.dict");
    public string LanguageModelPath { get; init; } = Path.Combine(DebianModelDirectory, "en-us.lm.bin");

    /// <summary>
    /// Extra pocketsphinx parameters, name (with the dash) to value. The defaults turn off the
    /// front end's spectral noise subtraction and voice activity detection: both keep a noise
    /// estimate from one utterance to the next, so a decoder's transcript of a file depended on
    /// the files it had decoded before (seen here: "and a reduced" or "and the reduced" for the
    /// same audio), and a training's evaluation and a later transcription of the same audio could
    /// disagree. Without them every file decodes the same in any order, on any pooled decoder
    /// (and the base WER on the cardiology test set went from 74.1% to 72.7%).
    /// </summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } =
        new Dictionary<string, string> { ["-remove_noise"] = "no", ["-remove_silence"] = "no" };

    /// <summary>
    /// Audio longer than this is cut, at its quietest moment, into utterances of at most this
    /// length, each decoded whole (as pocketsphinx_batch decodes a file): memory stays bounded and
    /// cancellation is seen between utterances and between the blocks read.
    /// </summary>
    public double MaxUtteranceSeconds { get; init; } = 20;

    /// <summary>The longest audio decoded; reading past it fails the file (the service sets it from CUSTOMMODELS_MAX_AUDIO_SECONDS).</summary>
    public double MaxAudioSeconds { get; init; } = Audio.AudioLimits.DefaultMaxSeconds;

    public static DecoderSettings Default { get; } = new();

    /// <summary>The language weights in effect: those of <see cref="Parameters"/>, or pocketsphinx's defaults.</summary>
    public LanguageWeights Weights => new(
        Parameters.TryGetValue("-lw", out var lw) ? double.Parse(lw, System.Globalization.CultureInfo.InvariantCulture) : LanguageWeights.Default.LanguageWeight,
        Parameters.TryGetValue("-wip", out var wip) ? double.Parse(wip, System.Globalization.CultureInfo.InvariantCulture) : LanguageWeights.Default.WordInsertionPenalty);

    /// <summary>These settings with <paramref name="weights"/> (all three passes' language weights and the word insertion penalty).</summary>
    public DecoderSettings With(LanguageWeights weights)
    {
        var parameters = new Dictionary<string, string>(Parameters);
        foreach (var (name, value) in weights.ToPocketSphinxParameters()) parameters[name] = value;
        return this with { Parameters = parameters };
    }

    /// <summary>The command-line form of these settings, for pocketsphinx_batch and for the decoder.</summary>
    public IReadOnlyList<string> ToPocketSphinxArguments()
    {
        var arguments = new List<string>
        {
            "-hmm", AcousticModelPath, "-dict", DictionaryPath, "-lm", LanguageModelPath,
        };
        foreach (var (name, value) in Parameters)
        {
            arguments.Add(name);
            arguments.Add(value);
        }
        return arguments;
    }
}

/// <summary>
/// How much the language model counts against the acoustic model, and what each word costs:
/// pocketsphinx's <c>-lw</c> (the first pass's language weight; the second and third passes'
/// <c>-fwdflatlw</c> and <c>-bestpathlw</c> keep their default ratios to it, 8.5 and 9.5 to 6.5)
/// and <c>-wip</c>. A trained model may carry its own, chosen on development audio.
/// </summary>
public sealed record LanguageWeights(double LanguageWeight, double WordInsertionPenalty)
{
    public static LanguageWeights Default { get; } = new(6.5, 0.65);

    /// <summary>-fwdflatlw / -lw and -bestpathlw / -lw of pocketsphinx's defaults.</summary>
    public const double FlatPassRatio = 8.5 / 6.5, BestPathRatio = 9.5 / 6.5;

    public IEnumerable<(string Name, string Value)> ToPocketSphinxParameters()
    {
        static string Text(double value) => Math.Round(value, 4).ToString(System.Globalization.CultureInfo.InvariantCulture);
        yield return ("-lw", Text(LanguageWeight));
        yield return ("-fwdflatlw", Text(LanguageWeight * FlatPassRatio));
        yield return ("-bestpathlw", Text(LanguageWeight * BestPathRatio));
        yield return ("-wip", Text(WordInsertionPenalty));
    }
}
