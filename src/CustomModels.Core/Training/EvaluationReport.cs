using System.Text.Json;
using System.Text.Json.Serialization;
using CustomModels.Speech.Decoding;
using CustomModels.Speech.Scoring;

namespace CustomModels.Core.Training;

/// <summary>
/// What a training measured, kept beside the trained model and served by
/// GET /custom_models/{id}/evaluation: every figure of `training_metrics` can be recomputed from it.
/// </summary>
public sealed record EvaluationReport(
    long ModelId,
    long JobId,
    string CreatedAt,
    /// <summary>"test_data", "held_out_training_pairs" or "none".</summary>
    string EvaluationSource,
    double InterpolationWeight,
    /// <summary>How the weight was chosen: "cross_validation" (up to 50,000 sentences), "held_out_sample" (more) or "default" (too little text to hold any out).</summary>
    string WeightMethod,
    IReadOnlyList<WeightPerplexity> WeightCandidates,
    LanguageModelSummary LanguageModel,
    IReadOnlyList<NewWord> NewWords,
    IReadOnlyList<string> UnpronounceableWords,
    EvaluationMetrics Metrics,
    /// <summary>Wall time of each training stage (text, lexicon, language_model, interpolation_weight, acoustic_adaptation, decode_base, decode_active, decode_custom, metrics).</summary>
    IReadOnlyDictionary<string, double> StageSeconds,
    IReadOnlyList<UtteranceEvaluation> Utterances,
    /// <summary>The version that was active when this training decoded the evaluation audio with it (the promotion gate's yardstick); null when none was.</summary>
    int? ComparedVersion,
    /// <summary>The custom model's errors per word (<see cref="WordErrorTable"/>): the columns sum to the corpus N, S, D and I.</summary>
    IReadOnlyList<WordErrors>? Words,
    /// <summary>The most frequent reference → hypothesis substitutions of the custom model, at most <see cref="ConfusionsShown"/>.</summary>
    IReadOnlyList<Confusion>? Confusions,
    /// <summary>custom − base, and new − previous active version when there was one: WER differences with their bootstrap intervals.</summary>
    IReadOnlyList<Comparison>? Comparisons,
    /// <summary>How the decoder's settings were chosen on the development split (null in reports written before tuning existed).</summary>
    DecoderTuningReport? Tuning = null,
    /// <summary>The acoustic adaptation candidates' development WERs and the one chosen (absent in reports from before adaptation existed).</summary>
    AcousticAdaptationReport? AcousticAdaptation = null)
{
    public const int ConfusionsShown = 50;

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = true,
    };
}

public sealed record WeightPerplexity(double Weight, double Perplexity);

/// <summary>
/// The development split (training pairs held out of what is tuned; never evaluation pairs) and
/// every setting tried on it with its word error rate. Without a split, <see cref="Note"/> says
/// why, nothing is tried, and the decoder's defaults (with the perplexity-chosen interpolation
/// weight) are used.
/// </summary>
/// <param name="Decodes">Development files decoded (one decode per file and interpolation weight; language weights and penalties rescore its lattices).</param>
public sealed record DecoderTuningReport(int DevelopmentPairs, IReadOnlyList<long> DevelopmentDataIds, string? Note,
    TuningCandidate? Chosen, int Decodes, IReadOnlyList<TuningCandidate> Candidates);

/// <param name="HeldOutPerplexity">Perplexity of the interpolated model on held-out training text at the chosen weight.</param>
/// <param name="TestTextPerplexity">Perplexity of the domain model on uploaded test text, when there is some.</param>
/// <param name="PrunedBelow">
/// The n-grams of order 2 and up seen fewer times than this were left out of the model to keep it
/// within what the decoders load quickly (<see cref="CustomModels.Speech.LanguageModel.EstimationOptions.DecoderNGramLimit"/>); 1 when none were.
/// </param>
public sealed record LanguageModelSummary(int Order, IReadOnlyList<long> NGrams, long TrainingSentences, long TrainingWords,
    double? HeldOutPerplexity, double? TestTextPerplexity, long PrunedBelow);

/// <summary>
/// A word the base dictionary lacks, with the pronunciations the training gave it, how often the
/// evaluation references say it, and how many of those the base and the custom model recognized
/// (aligned to the word itself).
/// </summary>
/// <param name="Source">Where the pronunciations came from: "pronunciation_file" (the customer's), "g2p" (the model trained on the base dictionary) or "espeak-ng".</param>
public sealed record NewWord(string Word, IReadOnlyList<string> Pronunciations, string Source, int Occurrences, int RecognizedByBase, int RecognizedByCustom);

/// <summary>
/// WER(system) − WER(baseline) in percentage points on the same utterances, with its paired-bootstrap
/// interval (<see cref="PairedBootstrap"/>): an interval that excludes 0 is a difference the evaluation set shows.
/// </summary>
/// <param name="Name">"custom_vs_base" or "new_vs_active".</param>
public sealed record Comparison(string Name, string System, string Baseline, double WordErrorRate, double BaselineWordErrorRate,
    double Difference, double Lower, double Upper, double Confidence, int Resamples, ulong Seed);

/// <summary>Percentages; null where nothing could be measured (no evaluation audio).</summary>
public sealed record EvaluationMetrics(
    double? WordErrorRate, double? BaseWordErrorRate, double? CharacterErrorRate, double? BaseCharacterErrorRate,
    double? AccuracyImprovement, double TrainingHours, double EvaluationHours, int EvaluationWords);

public sealed record ErrorSummary(int Substitutions, int Deletions, int Insertions, int ReferenceWords);

/// <summary>One evaluation utterance: its normalized reference and each system's hypothesis and counts (the active version's when there was one).</summary>
public sealed record UtteranceEvaluation(
    long DataId, string AudioFile, string Reference, string BaseHypothesis, string CustomHypothesis,
    ErrorSummary BaseErrors, ErrorSummary CustomErrors, string? ActiveHypothesis = null, ErrorSummary? ActiveErrors = null);
