using CustomModels.Core.Training;

namespace CustomModels.Core.Tests.Training;

/// <summary>
/// <see cref="TrainingDataSplit"/>: the same data always splits the same way, the development split
/// never holds an evaluation pair, and too few pairs leave no split (with the reason).
/// </summary>
public class TrainingDataSplitTests
{
    static TrainingDataSet Pair(long id, DataSetKind kind, double seconds = 4) => new()
    {
        Id = id, Kind = kind, AudioBlob = $"a{id}", AudioFileName = $"a{id}.wav", TranscriptBlob = $"t{id}",
        TranscriptFileName = $"t{id}.txt", AudioSeconds = seconds,
    };

    static TrainingDataSet Text(long id) => new() { Id = id, Kind = DataSetKind.Train, TranscriptBlob = $"t{id}", TranscriptFileName = $"t{id}.txt" };

    static List<TrainingDataSet> Cardiology() =>
        [.. Enumerable.Range(1, 60).Select(i => Pair(i, DataSetKind.Train)), .. Enumerable.Range(61, 15).Select(i => Pair(i, DataSetKind.Test)), Text(76)];

    static long[] Ids(IEnumerable<TrainingDataSet> sets) => sets.Select(d => d.Id).ToArray();

    [Fact]
    public void The_same_data_in_any_order_splits_the_same_way()
    {
        var data = Cardiology();
        var first = TrainingDataSplit.Of(data);
        var shuffled = TrainingDataSplit.Of(data.OrderBy(d => (d.Id * 7919) % 101).ToList());

        Assert.Equal(Ids(first.Development), Ids(shuffled.Development));
        Assert.Equal(Ids(first.FittingPairs), Ids(shuffled.FittingPairs));
        Assert.Equal(Ids(first.Evaluation), Ids(shuffled.Evaluation));
        // 20% of the 60 training pairs, spread over the upload order.
        Assert.Equal([3, 8, 13, 18, 23, 28, 33, 38, 43, 48, 53, 58], Ids(first.Development));
        Assert.Equal("test_data", first.EvaluationSource);
        Assert.Equal(Ids(Enumerable.Range(61, 15).Select(i => Pair(i, DataSetKind.Test))), Ids(first.Evaluation));
        Assert.Null(first.DevelopmentNote);
        Assert.Equal(60, first.TrainingPairs.Count());
        Assert.Equal([76], Ids(first.TrainingTexts));
    }

    [Fact]
    public void Development_never_holds_evaluation_pairs()
    {
        // With test pairs uploaded, and without (a tenth of the training pairs then evaluates).
        foreach (var data in new[] { Cardiology(), Cardiology().Where(d => d.Kind == DataSetKind.Train).ToList() })
        {
            var split = TrainingDataSplit.Of(data);
            Assert.NotEmpty(split.Development);
            Assert.Empty(Ids(split.Development).Intersect(Ids(split.Evaluation)));
            Assert.Empty(Ids(split.TrainingPairs).Intersect(Ids(split.Evaluation)));
            Assert.Empty(Ids(split.FittingPairs).Intersect(Ids(split.Development)));
            Assert.All(split.Development, d => Assert.Equal(DataSetKind.Train, d.Kind));
        }
        var heldOut = TrainingDataSplit.Of(Cardiology().Where(d => d.Kind == DataSetKind.Train).ToList());
        Assert.Equal("held_out_training_pairs", heldOut.EvaluationSource);
        Assert.Equal(6, heldOut.Evaluation.Count);
        Assert.Equal(11, heldOut.Development.Count); // 20% of the 54 left
    }

    [Fact]
    public void Too_few_pairs_leave_no_development_split_and_say_so()
    {
        var data = Enumerable.Range(1, 9).Select(i => Pair(i, DataSetKind.Train)).Append(Pair(10, DataSetKind.Test)).ToList();
        var split = TrainingDataSplit.Of(data);

        Assert.Empty(split.Development);
        Assert.Equal(9, split.FittingPairs.Count);
        Assert.Contains("9 training pairs", split.DevelopmentNote);
        Assert.Contains("default", split.DevelopmentNote);
    }

    [Fact]
    public void Development_audio_is_bounded()
    {
        var data = Enumerable.Range(1, 100).Select(i => Pair(i, DataSetKind.Train, seconds: 600)).Append(Pair(101, DataSetKind.Test)).ToList();
        var split = TrainingDataSplit.Of(data);

        Assert.Equal(3, split.Development.Count); // 3 × 600 s within 1,800 s
        Assert.True(split.Development.Sum(d => d.AudioSeconds) <= TrainingDataSplit.MaxDevelopmentSeconds);
    }
}
