namespace CustomModels.Core.Models;

/// <summary>The closed lists of the API: languages a model can be created for, base models, status texts.</summary>
public static class Catalog
{
    public static readonly IReadOnlyList<string> Languages =
    [
        "en", "nl", "fr", "de", "es", "it", "pt", "pl", "cs", "da", "fi", "el", "hu", "no", "ro", "sk", "sv",
        "ar", "he", "tr", "fa", "zh", "ja", "ko", "hi", "th", "id", "vi", "ru", "uk", "ms", "ta", "te",
    ];

    public static readonly IReadOnlyList<string> BaseModels = ["general", "medical", "legal", "technical"];

    public const string DefaultBaseModel = "general";

    static readonly HashSet<string> LanguageSet = new(Languages, StringComparer.Ordinal);
    static readonly HashSet<string> BaseModelSet = new(BaseModels, StringComparer.Ordinal);

    public static bool IsLanguage(string value) => LanguageSet.Contains(value);

    public static bool IsBaseModel(string value) => BaseModelSet.Contains(value);

    /// <param name="note">In status 4, said instead of the success text (a version kept inactive by the promotion gate).</param>
    public static string StatusMessage(TrainingStatus status, string? error, string? note) => status switch
    {
        TrainingStatus.NotRunning => "Model created. Upload training data to begin.",
        TrainingStatus.ReadyToRun => "Data uploaded. Ready to start training.",
        TrainingStatus.Running => "Training in progress...",
        TrainingStatus.Success => note ?? "Training completed successfully",
        TrainingStatus.Failed => "Training failed: " + (error ?? "unknown reason"),
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };
}
