namespace CustomModels.Core.Training;

/// <summary>
/// How a training divides a model's data sets, the one place that decides it (every stage that
/// trains, tunes or measures asks this):
/// <list type="bullet">
/// <item><see cref="Evaluation"/>: the uploaded test pairs; with none, a deterministic 10% of the
/// training pairs. They only measure: nothing is estimated, adapted or tuned on them.</item>
/// <item><see cref="Development"/>: a deterministic share of the remaining training pairs on which
/// settings are chosen (decoder weights, adaptation) by their word error rate; empty when there are
/// too few pairs (<see cref="DevelopmentNote"/> says why).</item>
/// <item><see cref="FittingPairs"/>: the training pairs outside both, which a stage may fit to
/// (e.g. acoustic adaptation) when it is then tuned or checked on <see cref="Development"/>.</item>
/// </list>
/// Every choice is by upload order (data set id), spread evenly over it, so the same data gives the
/// same split on every run and machine.
/// </summary>
public sealed record TrainingDataSplit(
    IReadOnlyList<TrainingDataSet> Evaluation,
    /// <summary>"test_data", "held_out_training_pairs" or "none".</summary>
    string EvaluationSource,
    IReadOnlyList<TrainingDataSet> Development,
    string? DevelopmentNote,
    IReadOnlyList<TrainingDataSet> FittingPairs,
    IReadOnlyList<TrainingDataSet> TrainingTexts,
    IReadOnlyList<TrainingDataSet> TestTexts,
    IReadOnlyList<TrainingDataSet> PronunciationFiles)
{
    /// <summary>Fewer training pairs than this (after any evaluation hold-out) leave no development split.</summary>
    public const int MinimumPairsForDevelopment = 10;

    /// <summary>The development split's share of the training pairs, at most <see cref="MaxDevelopmentPairs"/> pairs and <see cref="MaxDevelopmentSeconds"/> of audio.</summary>
    public const double DevelopmentShare = 0.2;

    public const int MaxDevelopmentPairs = 60;

    /// <summary>Bounds the decoding that tuning costs whatever the size of the upload.</summary>
    public const double MaxDevelopmentSeconds = 1800;

    /// <summary>The training pairs whose transcripts train the language model: development and fitting pairs (never evaluation ones).</summary>
    public IEnumerable<TrainingDataSet> TrainingPairs => FittingPairs.Concat(Development).OrderBy(d => d.Id);

    public static TrainingDataSplit Of(IEnumerable<TrainingDataSet> dataSets)
    {
        var ordered = dataSets.OrderBy(d => d.Id).ToList();
        var trainPairs = ordered.Where(d => d.Kind == DataSetKind.Train && d.AudioBlob is not null).ToList();
        var trainTexts = ordered.Where(d => d.Kind == DataSetKind.Train && d.AudioBlob is null).ToList();
        var testPairs = ordered.Where(d => d.Kind == DataSetKind.Test && d.AudioBlob is not null).ToList();
        var testTexts = ordered.Where(d => d.Kind == DataSetKind.Test && d.AudioBlob is null).ToList();

        // Evaluate on the uploaded test audio; without any, on a deterministic 10% of the training
        // pairs, which are then kept out of everything the training learns from.
        var heldOut = testPairs.Count > 0 ? [] : Spread(trainPairs, trainPairs.Count < 2 ? 0 : Math.Max(1, (int)Math.Round(trainPairs.Count * 0.1)));
        var evaluation = testPairs.Count > 0 ? testPairs : heldOut;
        var evaluationSource = testPairs.Count > 0 ? "test_data" : heldOut.Count > 0 ? "held_out_training_pairs" : "none";
        var remaining = trainPairs.Except(heldOut).ToList();

        List<TrainingDataSet> development = [];
        string? note = null;
        if (remaining.Count < MinimumPairsForDevelopment)
        {
            note = $"{remaining.Count} training pair{(remaining.Count == 1 ? "" : "s")} outside the evaluation set; " +
                   $"a development split needs at least {MinimumPairsForDevelopment}, so the decoder's default settings are used";
        }
        else
        {
            var count = Math.Min(MaxDevelopmentPairs, Math.Max(1, (int)Math.Round(remaining.Count * DevelopmentShare)));
            var seconds = 0.0;
            foreach (var pair in Spread(remaining, count))
            {
                var pairSeconds = pair.AudioSeconds ?? 0;
                if (development.Count > 0 && seconds + pairSeconds > MaxDevelopmentSeconds) break;
                development.Add(pair);
                seconds += pairSeconds;
            }
        }
        var fitting = remaining.Except(development).ToList();
        return new TrainingDataSplit(evaluation, evaluationSource, development.OrderBy(d => d.Id).ToList(), note, fitting, trainTexts, testTexts,
            ordered.Where(d => d.Kind == DataSetKind.Pronunciation).ToList());
    }

    /// <summary><paramref name="count"/> of the items, spread evenly over their order (the middle of each of count equal runs).</summary>
    static List<TrainingDataSet> Spread(List<TrainingDataSet> items, int count) =>
        Enumerable.Range(0, count).Select(k => items[(int)((k + 0.5) * items.Count / count)]).ToList();
}
