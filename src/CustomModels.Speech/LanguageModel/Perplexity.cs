using CustomModels.Speech.Text;

namespace CustomModels.Speech.LanguageModel;

/// <summary>
/// Perplexity of a text under a model, counted as KenLM's query counts it: every word and each
/// sentence's &lt;/s&gt; is a token; an out-of-vocabulary word scores as &lt;unk&gt;.
/// "Excluding OOVs" leaves out the OOV tokens' own probabilities (the words after them still
/// count, with the OOV as their context).
/// </summary>
/// <param name="Tokens">Words plus one &lt;/s&gt; per sentence.</param>
public sealed record PerplexityResult(
    double IncludingOovs,
    double ExcludingOovs,
    long Oovs,
    long Tokens,
    long Sentences,
    long Words,
    double TotalLogProbability);

public static class Perplexity
{
    /// <param name="lines">One sentence a line, normalized here as for training; lines with no words are skipped.</param>
    public static PerplexityResult Measure(BackoffLanguageModel model, IEnumerable<string> lines)
    {
        double total = 0, oovTotal = 0;
        long oovs = 0, tokens = 0, sentences = 0, words = 0;
        foreach (var line in lines)
        {
            var sentence = TranscriptNormalizer.Words(line);
            if (sentence.Count == 0) continue;
            var score = model.ScoreSentence(sentence);
            for (var i = 0; i < sentence.Count; i++)
            {
                if (!model.Contains(sentence[i]))
                {
                    oovs++;
                    oovTotal += score.LogProbabilities[i];
                }
            }
            total += score.TotalLogProbability;
            tokens += score.LogProbabilities.Count;
            words += sentence.Count;
            sentences++;
        }

        var includingOovs = tokens > 0 ? Math.Pow(10, -total / tokens) : double.NaN;
        var excludingOovs = tokens > oovs ? Math.Pow(10, -(total - oovTotal) / (tokens - oovs)) : double.NaN;
        return new PerplexityResult(includingOovs, excludingOovs, oovs, tokens, sentences, words, total);
    }
}
