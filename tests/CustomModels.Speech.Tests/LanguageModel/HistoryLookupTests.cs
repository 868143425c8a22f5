using CustomModels.Speech.LanguageModel;
using CustomModels.Speech.Tests.Decoding;

namespace CustomModels.Speech.Tests.LanguageModel;

public class HistoryLookupTests
{
    [Fact]
    public void A_looked_up_history_scores_every_word_as_the_backoff_lookup_does()
    {
        var lines = File.ReadAllLines(Path.Combine(CardiologyDomainTests.RepositoryRoot(), "tests", "data", "cardiology", "train.txt"));
        var model = KneserNeyEstimator.Estimate(lines, PackedNGram.MaxOrder).Model;
        var ids = Enumerable.Range(0, model.Vocabulary.Count).ToArray();
        // Histories the model has seen (every stored context), and ones it has not: shuffled word ids,
        // whose longer contexts are stored nowhere, so that every order backs off somewhere.
        var random = new Random(7);
        var histories = Enumerable.Range(1, model.Order - 1)
            .SelectMany(order => model.NGrams(order).Select(ngram => ngram.Words.Select(model.IdOf).ToArray()))
            .Concat(Enumerable.Range(0, 200).Select(_ => random.GetItems(ids, random.Next(0, model.Order + 1))))
            .Prepend([]);
        var compared = 0;
        foreach (var history in histories)
        {
            var lookup = model.LookUpHistory(history);
            foreach (var word in ids)
            {
                Assert.Equal(model.LogProbability(history, word), model.LogProbability(lookup, word));
                compared++;
            }
        }
        Assert.True(compared > 100_000, $"only {compared} scores compared");
    }
}
