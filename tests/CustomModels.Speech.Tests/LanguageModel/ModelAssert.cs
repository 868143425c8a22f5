using CustomModels.Speech.LanguageModel;

namespace CustomModels.Speech.Tests.LanguageModel;

internal static class ModelAssert
{
    /// <summary>
    /// For every context a sentence can reach (the empty one, and every stored n-gram below the
    /// highest order that does not end in &lt;/s&gt;), p(w | context) over the vocabulary (without
    /// &lt;s&gt;, which is never predicted) sums to 1. Also checks a context the model never saw.
    /// </summary>
    public static void EveryContextSumsToOne(BackoffLanguageModel model)
    {
        var predicted = model.Vocabulary.Where(w => w != BackoffLanguageModel.SentenceStart).ToArray();
        var contexts = new List<IReadOnlyList<string>> { Array.Empty<string>() };
        for (var n = 1; n < model.Order; n++)
        {
            contexts.AddRange(model.NGrams(n).Select(g => g.Words).Where(w => w[^1] != BackoffLanguageModel.SentenceEnd && w[^1] != BackoffLanguageModel.Unknown));
        }
        contexts.Add(Enumerable.Repeat(model.Vocabulary[^1], model.Order - 1).ToArray());

        foreach (var context in contexts)
        {
            var sum = predicted.Sum(word => Math.Pow(10, model.LogProbability(context, word)));
            Assert.True(Math.Abs(sum - 1) < 1e-5, $"p(· | {string.Join(' ', context)}) sums to {sum}");
        }
    }
}
