namespace CustomModels.Core.Versions;

/// <summary>
/// One successful training of a model: its artifact folder (which holds its evaluation report),
/// what it measured and which data sets it was trained on. Numbers count up from 1 per model and
/// are never reused, also after a version is deleted (see <see cref="Models.CustomModel.LastVersion"/>).
/// </summary>
public sealed class ModelVersion
{
    public long Id { get; set; }
    public long ModelId { get; set; }
    public int Version { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>The training job that made it; null for the versions made from models trained before versions existed.</summary>
    public long? JobId { get; set; }
    /// <summary>The folder under the model's artifacts (StorageLayout.ArtifactFolder).</summary>
    public required string ArtifactName { get; set; }
    /// <summary>"test_data", "held_out_training_pairs" or "none", as in the evaluation report.</summary>
    public required string EvaluationSource { get; set; }
    /// <summary>The ids of the data sets the training read, as a JSON array (`[3,4,7]`).</summary>
    public required string DataIds { get; set; }

    // Measured by its training, on that training's evaluation audio.
    public double? WordErrorRate { get; set; }
    public double? BaseWordErrorRate { get; set; }
    public double? AccuracyImprovement { get; set; }
    public double? CharacterErrorRate { get; set; }
    public double? TrainingHours { get; set; }
}
