using CustomModels.Core.Jobs;

namespace CustomModels.Core.Training;

public enum DataSetKind
{
    /// <summary>Training data: its text trains the language model and lexicon.</summary>
    Train = 1,
    /// <summary>Evaluation data: its audio is decoded by the base and the custom model to measure both.</summary>
    Test = 2,
    /// <summary>A pronunciation file (`word<TAB>spoken form` or `word<TAB>/PHONES/` lines) in the transcript blob; <c>WordCount</c> is its entry count.</summary>
    Pronunciation = 3,
}

/// <summary>One accepted upload: an audio file with its transcript, or a text-only corpus.</summary>
public sealed class TrainingDataSet
{
    public long Id { get; set; }
    public long ModelId { get; set; }
    public DataSetKind Kind { get; set; }
    /// <summary>The client's file names: labels only, never part of a path.</summary>
    public string? AudioFileName { get; set; }
    public required string TranscriptFileName { get; set; }
    /// <summary>Blob paths relative to the data folder.</summary>
    public string? AudioBlob { get; set; }
    public required string TranscriptBlob { get; set; }
    public double? AudioSeconds { get; set; }
    public int WordCount { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>
/// A training run of one model, claimed by a worker under a lease that the worker renews.
/// A worker that dies stops renewing; once the lease has expired another worker takes the job.
/// </summary>
public sealed class TrainingJob
{
    public long Id { get; set; }
    public long ModelId { get; set; }
    public JobState State { get; set; } = JobState.Queued;
    public int Attempts { get; set; }
    public string? LeaseOwner { get; set; }
    public DateTime? LeaseExpiresAt { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
    public string? LastError { get; set; }
    /// <summary>`/run` with `{"activate":"always"}`: the new version is activated without the promotion gate.</summary>
    public bool ActivateAlways { get; set; }
}
