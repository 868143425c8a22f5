using System.Text.Json;
using System.Text.Json.Serialization;

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
    /// <summary>Wall time of each training stage (text, lexicon, language_model, interpolation_weight, decode_base, decode_custom, metrics).</summary>
    IReadOnlyDictionary<string, double> StageSeconds,
    IReadOnlyList<UtteranceEvaluation> Utterances)
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = true,
    };
}

public sealed record WeightPerplexity(double Weight, double Perplexity);

/// <param name="HeldOutPerplexity">Perplexity of the interpolated model on held-out training text at the chosen weight.</param>
/// <param name="TestTextPerplexity">Perplexity of the domain model on uploaded test text, when there is some.</param>
public sealed record LanguageModelSummary(int Order, IReadOnlyList<long> NGrams, long TrainingSentences, long TrainingWords,
    double? HeldOutPerplexity, double? TestTextPerplexity);

/// <param name="Source">Where the pronunciation came from: "g2p" (the model trained on the base dictionary) or "espeak-ng".</param>
public sealed record NewWord(string Word, string Pronunciation, string Source);

/// <summary>Percentages; null where nothing could be measured (no evaluation audio).</summary>
public sealed record EvaluationMetrics(
    double? WordErrorRate, double? BaseWordErrorRate, double? CharacterErrorRate, double? BaseCharacterErrorRate,
    double? AccuracyImprovement, double TrainingHours, double EvaluationHours, int EvaluationWords);

public sealed record ErrorSummary(int Substitutions, int Deletions, int Insertions, int ReferenceWords);

public sealed record UtteranceEvaluation(
    long DataId, string AudioFile, string Reference, string BaseHypothesis, string CustomHypothesis,
    ErrorSummary BaseErrors, ErrorSummary CustomErrors);
