using CustomModels.Speech.Text;
using static CustomModels.Speech.Decoding.PocketSphinxNative;

namespace CustomModels.Speech.Decoding;

/// <summary>The perplexity of the interpolated model on held-out text at one domain weight.</summary>
public sealed record WeightCandidate(double Weight, double Perplexity);

/// <summary>The chosen weight, every candidate's perplexity, and how many held-out words were scored or out of vocabulary.</summary>
public sealed record WeightChoice(double Weight, IReadOnlyList<WeightCandidate> Candidates, int ScoredWords,
    int OutOfVocabularyWords);

/// <summary>
/// Chooses the domain weight of a custom language model: the candidate at which the base model
/// interpolated with the domain model — the very sphinxbase model set the decoder searches —
/// gives held-out text the lowest perplexity. The domain model scored here must not have seen
/// that text (estimate it on the rest of the training text).
/// </summary>
public static class InterpolationWeight
{
    public static IReadOnlyList<double> DefaultCandidates { get; } = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

    // pocketsphinx's default -logbase: the decoder scores with the same table.
    private const double LogBase = 1.0001;

    /// <param name="domainArpaPath">A domain model estimated without <paramref name="heldOutSentences"/>.</param>
    /// <param name="heldOutSentences">Text the domain model did not see; normalized here.</param>
    public static WeightChoice ChooseByPerplexity(DecoderSettings settings, string domainArpaPath,
        IEnumerable<string> heldOutSentences, IReadOnlyList<double>? candidates = null)
    {
        candidates ??= DefaultCandidates;
        var sentences = heldOutSentences.Select(TranscriptNormalizer.Words).Where(words => words.Count > 0).ToList();
        if (sentences.Count == 0) throw new ArgumentException("there is no held-out text to choose a weight on", nameof(heldOutSentences));

        using var logMath = logmath_init(LogBase, 0, 0);
        if (logMath.IsInvalid) throw new DecoderException("the language models could not be scored");
        using var config = SpeechDecoder.CreateConfig(settings, includeLanguageModel: false);
        using var baseModel = SpeechDecoder.ReadLanguageModel(config, settings.LanguageModelPath, logMath.DangerousGetHandle());
        using var domainModel = SpeechDecoder.ReadLanguageModel(config, domainArpaPath, logMath.DangerousGetHandle());
        using var set = SpeechDecoder.InterpolateLanguageModels(config, baseModel, domainModel, 0.5);

        var scored = new List<WeightCandidate>();
        int scoredWords = 0, outOfVocabulary = 0;
        foreach (var weight in candidates)
        {
            if (ngram_model_set_interp(set, SpeechDecoder.InterpolatedModelNames, [(float)(1 - weight), (float)weight]) == IntPtr.Zero)
                throw new DecoderException("the language models could not be interpolated");
            (var logProbability, scoredWords, outOfVocabulary) = Score(set, logMath.DangerousGetHandle(), sentences);
            scored.Add(new WeightCandidate(weight, Math.Exp(-logProbability / scoredWords)));
        }
        var best = scored.MinBy(candidate => candidate.Perplexity)!;
        return new WeightChoice(best.Weight, scored, scoredWords, outOfVocabulary);
    }

    /// <summary>Natural-log probability of the sentences, each from &lt;s&gt; to &lt;/s&gt;; words no model knows are skipped and break the history, as SRILM's ppl does.</summary>
    private static (double LogProbability, int ScoredWords, int OutOfVocabulary) Score(SafeNgramModelHandle model,
        IntPtr logMath, List<IReadOnlyList<string>> sentences)
    {
        var unknown = ngram_unknown_wid(model);
        var sentenceStart = ngram_wid(model, "<s>");
        var sentenceEnd = ngram_wid(model, "</s>");
        double total = 0;
        int scoredWords = 0, outOfVocabulary = 0;
        var history = new List<int>();
        foreach (var sentence in sentences)
        {
            history.Clear();
            history.Add(sentenceStart);
            foreach (var wordId in sentence.Select(word => ngram_wid(model, word)).Append(sentenceEnd))
            {
                if (wordId == unknown || wordId == NgramInvalidWordId)
                {
                    outOfVocabulary++;
                    history.Clear();
                    continue;
                }
                // Most recent word first, as sphinxbase expects.
                var recentFirst = Enumerable.Reverse(history).ToArray();
                var probability = ngram_ng_prob(model, wordId, recentFirst, recentFirst.Length, out _);
                total += logmath_log_to_ln(logMath, probability);
                scoredWords++;
                history.Add(wordId);
            }
        }
        return (total, scoredWords, outOfVocabulary);
    }
}
