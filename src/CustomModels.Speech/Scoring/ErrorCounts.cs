namespace CustomModels.Speech.Scoring;

/// <summary>What one alignment step did to turn the reference into the hypothesis.</summary>
public enum EditOperation : byte
{
    Match,
    Substitution,
    /// <summary>A reference token the hypothesis lacks.</summary>
    Deletion,
    /// <summary>A hypothesis token the reference lacks.</summary>
    Insertion,
}

/// <summary>One step of an alignment; <see cref="Reference"/> is null for an insertion, <see cref="Hypothesis"/> for a deletion.</summary>
public readonly record struct AlignmentStep(EditOperation Operation, string? Reference, string? Hypothesis);

/// <summary>
/// Edit counts of one utterance or of a whole evaluation set. Error rate is
/// (S + D + I) / N with N the reference length; it can exceed 1 when the hypothesis has many insertions.
/// With an empty reference the rate is 0 if the hypothesis is empty too and 1 otherwise (there is
/// nothing to divide by, and "everything wrong" is the honest reading of words said over silence).
/// </summary>
public sealed record ErrorCounts(int Substitutions, int Deletions, int Insertions, int ReferenceLength)
{
    public static readonly ErrorCounts None = new(0, 0, 0, 0);

    public int Errors => Substitutions + Deletions + Insertions;

    public double Rate => ReferenceLength > 0 ? (double)Errors / ReferenceLength : Errors == 0 ? 0 : 1;

    public static ErrorCounts operator +(ErrorCounts a, ErrorCounts b) => new(
        a.Substitutions + b.Substitutions, a.Deletions + b.Deletions, a.Insertions + b.Insertions, a.ReferenceLength + b.ReferenceLength);

    /// <summary>Corpus-level counts: errors and reference lengths summed, so the rate weights utterances by length.</summary>
    public static ErrorCounts Sum(IEnumerable<ErrorCounts> counts) => counts.Aggregate(None, (total, next) => total + next);
}

/// <summary>The counts of one utterance and the alignment they come from (kept as the evaluation report).</summary>
public sealed record UtteranceErrors(ErrorCounts Counts, IReadOnlyList<AlignmentStep> Alignment);
