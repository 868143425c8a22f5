namespace CustomModels.Core.Models;

/// <summary>A custom speech model of one organization, as stored.</summary>
public sealed class CustomModel
{
    public long Id { get; set; }
    public long OrganizationId { get; set; }
    public required string Name { get; set; }
    public string? Description { get; set; }
    public required string Language { get; set; }
    public required string BaseModel { get; set; }
    public TrainingStatus TrainingStatus { get; set; } = TrainingStatus.NotRunning;
    /// <summary>0–100 while training and after success; null otherwise.</summary>
    public int? TrainingProgress { get; set; }
    /// <summary>Why the last training failed, in words a user can act on (status 5 only).</summary>
    public string? TrainingError { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? StartedTrainingAt { get; set; }
    public DateTime? FinishedTrainingAt { get; set; }
    public DateTime? FailedAt { get; set; }

    // Measured by the last successful training; kept while a retrain runs.
    public double? WordErrorRate { get; set; }
    public double? BaseWordErrorRate { get; set; }
    public double? AccuracyImprovement { get; set; }
    public double? CharacterErrorRate { get; set; }
    public double? TrainingHours { get; set; }

    /// <summary>The folder (under the model's artifacts) of the trained model that serves (the active version's); null until the first success.</summary>
    public string? ArtifactName { get; set; }

    /// <summary>The version that serves, whose metrics and artifact the model carries; null until the first success.</summary>
    public int? ActiveVersion { get; set; }

    /// <summary>The number of the newest version ever made (0 before any): the next is one more, so a deleted version's number is never reused.</summary>
    public int LastVersion { get; set; }

    /// <summary>Said instead of "Training completed successfully" in status 4: why the newest version was not activated.</summary>
    public string? StatusNote { get; set; }

    public string ModelKey => ModelKeys.Format(Id);

    /// <summary>
    /// The model as the list shows it, from `name` on (<see cref="ModelJson.Listed"/>), so that a
    /// page of the list is its rows' stored texts joined rather than 1,800 values read and written
    /// again on every request. Rendered whenever the model is saved (AppDbContext); a write that
    /// changes a shown column without rendering (a bulk update) makes a trigger clear it, and until
    /// <see cref="Listing.ListedJsonRenderer"/> renders it again the list renders that row from its columns.
    /// </summary>
    public byte[]? ListedJson { get; set; }
}

/// <summary>
/// How many models an organization has per status, language and base model. Database triggers
/// keep it exact on every insert, update and delete of a model, so the list's `total_results`
/// costs a handful of rows instead of a scan of every matching model.
/// </summary>
public sealed class ModelCount
{
    public long OrganizationId { get; set; }
    public TrainingStatus TrainingStatus { get; set; }
    public required string Language { get; set; }
    public required string BaseModel { get; set; }
    public long Count { get; set; }
}

public enum TrainingStatus
{
    NotRunning = 1,
    ReadyToRun = 2,
    Running = 3,
    Success = 4,
    Failed = 5,
}

public static class ModelKeys
{
    const string Prefix = "custom_model_";

    public static string Format(long id) => Prefix + id;

    public static bool TryParse(string? key, out long id)
    {
        id = 0;
        return key is not null && key.StartsWith(Prefix, StringComparison.Ordinal)
            && long.TryParse(key.AsSpan(Prefix.Length), System.Globalization.NumberStyles.None, null, out id);
    }
}
