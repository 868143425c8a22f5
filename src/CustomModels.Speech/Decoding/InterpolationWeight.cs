using CustomModels.Speech.LanguageModel;
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

    private static readonly string[] ModelNames = ["base", "domain"];

    // pocketsphinx's default -logbase: the decoder scores with the same table.
    internal const double LogBase = 1.0001;

    /// <param name="domainModelPath">A domain model estimated without <paramref name="heldOutSentences"/> (ARPA or sphinxbase's binary).</param>
    /// <param name="heldOutSentences">Text the domain model did not see; normalized here.</param>
    /// <param name="progress">The fraction of the scoring done (every candidate scores every sentence), every thousand sentences or so.</param>
    public static WeightChoice ChooseByPerplexity(DecoderSettings settings, string domainModelPath,
        IEnumerable<string> heldOutSentences, IReadOnlyList<double>? candidates = null, CancellationToken ct = default,
        Action<double>? progress = null)
    {
        using var scorer = new HeldOutScorer(settings, candidates ?? DefaultCandidates);
        scorer.Add(domainModelPath, heldOutSentences, ct, progress);
        return scorer.Choose();
    }

    /// <summary>
    /// Chooses the weight for a domain model estimated from <paramref name="trainingLines"/> by
    /// <paramref name="folds"/>-fold cross-validation: each fold of the lines is held out in turn,
    /// a model of <paramref name="order"/> is estimated (modified Kneser-Ney) on the other folds,
    /// and the weights are ranked by the perplexity summed over all held-out folds.
    /// </summary>
    /// <param name="progress">The fraction of the folds scored, every thousand sentences or so.</param>
    public static WeightChoice ChooseByCrossValidation(DecoderSettings settings, IReadOnlyList<string> trainingLines,
        int order = KneserNeyEstimator.DefaultOrder, int folds = 5, IReadOnlyList<double>? candidates = null, CancellationToken ct = default,
        Action<double>? progress = null)
    {
        var lines = trainingLines.Where(line => TranscriptNormalizer.Words(line).Count > 0).ToList();
        if (lines.Count < 2) throw new ArgumentException("at least two lines of training text are needed to choose a weight", nameof(trainingLines));
        folds = Math.Clamp(folds, 2, lines.Count);
        using var scorer = new HeldOutScorer(settings, candidates ?? DefaultCandidates);
        var arpaPath = Path.Combine(Path.GetTempPath(), $"heldout-{Guid.NewGuid():N}.arpa");
        try
        {
            for (var fold = 0; fold < folds; fold++)
            {
                var heldOut = lines.Where((_, i) => i % folds == fold).ToList();
                var rest = lines.Where((_, i) => i % folds != fold).ToList();
                ct.ThrowIfCancellationRequested();
                ArpaWriter.Write(KneserNeyEstimator.Estimate(rest, order).Model, arpaPath);
                var done = fold;
                scorer.Add(arpaPath, heldOut, ct, progress is null ? null : f => progress((done + f) / folds));
            }
        }
        finally
        {
            File.Delete(arpaPath);
        }
        return scorer.Choose();
    }

    /// <summary>Sums held-out log probabilities per candidate weight; the base model is read once.</summary>
    private sealed class HeldOutScorer : IDisposable
    {
        private readonly IReadOnlyList<double> _candidates;
        private readonly double[] _logProbabilities;
        private readonly SafeLogMathHandle _logMath;
        private readonly SafeConfigHandle _config;
        private readonly SafeNgramModelHandle _baseModel;
        private int _scoredWords, _outOfVocabulary;

        public HeldOutScorer(DecoderSettings settings, IReadOnlyList<double> candidates)
        {
            if (candidates.Count == 0 || candidates.Any(w => w is <= 0 or >= 1))
                throw new ArgumentOutOfRangeException(nameof(candidates), "candidate weights must be between 0 and 1");
            _candidates = candidates;
            _logProbabilities = new double[candidates.Count];
            _logMath = logmath_init(LogBase, 0, 0);
            if (_logMath.IsInvalid) throw new DecoderException("the language models could not be scored");
            _config = SpeechDecoder.CreateConfig(settings, includeLanguageModel: false);
            _baseModel = SpeechDecoder.ReadLanguageModel(_config, settings.LanguageModelPath, _logMath.DangerousGetHandle());
        }

        public void Add(string domainModelPath, IEnumerable<string> heldOutSentences, CancellationToken ct, Action<double>? progress)
        {
            var sentences = heldOutSentences.Select(TranscriptNormalizer.Words).Where(words => words.Count > 0).ToList();
            using var domainModel = SpeechDecoder.ReadLanguageModel(_config, domainModelPath, _logMath.DangerousGetHandle());
            using var set = SpeechDecoder.InterpolateLanguageModels(_config,
                [new(ModelNames[0], _baseModel, 0.5), new(ModelNames[1], domainModel, 0.5)]);
            for (var i = 0; i < _candidates.Count; i++)
            {
                var weight = _candidates[i];
                if (ngram_model_set_interp(set, ModelNames, [(float)(1 - weight), (float)weight]) == IntPtr.Zero)
                    throw new DecoderException("the language models could not be interpolated");
                var scored = i;
                var (logProbability, scoredWords, outOfVocabulary) = Score(set, _logMath.DangerousGetHandle(), sentences, ct,
                    progress is null ? null : f => progress((scored + f) / _candidates.Count));
                _logProbabilities[i] += logProbability;
                // The same words are scored at every weight: count them once.
                if (i == 0) { _scoredWords += scoredWords; _outOfVocabulary += outOfVocabulary; }
            }
        }

        public WeightChoice Choose()
        {
            if (_scoredWords == 0) throw new ArgumentException("there is no held-out text to choose a weight on");
            var scored = _candidates
                .Select((weight, i) => new WeightCandidate(weight, Math.Exp(-_logProbabilities[i] / _scoredWords)))
                .ToList();
            return new WeightChoice(scored.MinBy(c => c.Perplexity)!.Weight, scored, _scoredWords, _outOfVocabulary);
        }

        public void Dispose()
        {
            // The models use the log table: it goes last.
            _baseModel.Dispose();
            _config.Dispose();
            _logMath.Dispose();
        }
    }

    /// <summary>
    /// The most history words ever passed to sphinxbase, which itself uses only a model's order − 1
    /// of them: a long sentence costs the same per word as a short one.
    /// </summary>
    private const int MaxHistory = PackedNGram.MaxOrder - 1;

    /// <summary>Natural-log probability of the sentences, each from &lt;s&gt; to &lt;/s&gt;; words no model knows are skipped and break the history, as SRILM's ppl does.</summary>
    /// <param name="progress">The fraction of the sentences scored, every 1024 sentences and at the end.</param>
    private static (double LogProbability, int ScoredWords, int OutOfVocabulary) Score(SafeNgramModelHandle model,
        IntPtr logMath, List<IReadOnlyList<string>> sentences, CancellationToken ct, Action<double>? progress)
    {
        var unknown = ngram_unknown_wid(model);
        var sentenceStart = ngram_wid(model, "<s>");
        var sentenceEnd = ngram_wid(model, "</s>");
        double total = 0;
        int scoredWords = 0, outOfVocabulary = 0;
        var recentFirst = new int[MaxHistory]; // most recent word first, as sphinxbase expects
        for (var s = 0; s < sentences.Count; s++)
        {
            if (s % 1024 == 0)
            {
                ct.ThrowIfCancellationRequested();
                progress?.Invoke((double)s / sentences.Count);
            }
            var sentence = sentences[s];
            recentFirst[0] = sentenceStart;
            var historyLength = 1;
            for (var w = 0; w <= sentence.Count; w++)
            {
                var wordId = w < sentence.Count ? ngram_wid(model, sentence[w]) : sentenceEnd;
                if (wordId == unknown || wordId == NgramInvalidWordId)
                {
                    outOfVocabulary++;
                    historyLength = 0;
                    continue;
                }
                var probability = ngram_ng_prob(model, wordId, recentFirst, historyLength, out _);
                total += logmath_log_to_ln(logMath, probability);
                scoredWords++;
                historyLength = Math.Min(historyLength + 1, MaxHistory);
                Array.Copy(recentFirst, 0, recentFirst, 1, historyLength - 1);
                recentFirst[0] = wordId;
            }
        }
        progress?.Invoke(1);
        return (total, scoredWords, outOfVocabulary);
    }
}
