using CustomModels.Speech.Scoring;

namespace CustomModels.Speech.Decoding;

/// <summary>One setting tried on the development audio, and the word error rate (percent) it gave there.</summary>
public sealed record TuningCandidate(double InterpolationWeight, double LanguageWeight, double WordInsertionPenalty, double WordErrorRate);

/// <summary>Every candidate tried, in the order tried, and the one chosen.</summary>
public sealed record TuningResult(TuningCandidate Chosen, IReadOnlyList<TuningCandidate> Candidates, int Decodes)
{
    public LanguageWeights LanguageWeights => new(Chosen.LanguageWeight, Chosen.WordInsertionPenalty);
}

/// <summary>
/// Chooses a custom model's interpolation weight, language weight and word insertion penalty by
/// word error rate on development audio (held-out training pairs; never the evaluation pairs).
/// Decoding is the expensive part, so each development file is decoded once per interpolation
/// weight, and every language weight and insertion penalty is tried on that decode's lattices
/// (<see cref="SpeechDecoder.DecodeFileRescoredAsync"/>): a grid of W weights, L language weights
/// and P penalties costs W decodes of each file, not W·L·P.
/// </summary>
public static class DevelopmentTuning
{
    public static IReadOnlyList<double> LanguageWeightGrid { get; } = [5, 6.5, 8, 10, 12];
    public static IReadOnlyList<double> InsertionPenaltyGrid { get; } = [0.2, 0.65, 3];

    /// <summary>The interpolation weights tried: the one chosen by perplexity and its neighbours 0.2 either side (within 0.1–0.9).</summary>
    public static IReadOnlyList<double> InterpolationWeights(double byPerplexity) =>
        new[] { byPerplexity, byPerplexity - 0.2, byPerplexity + 0.2 }
            .Select(w => Math.Round(Math.Clamp(w, 0.1, 0.9), 2)).Distinct().OrderBy(w => w).ToList();

    /// <param name="development">Audio files with their reference transcripts.</param>
    /// <param name="domainModelPath">A domain model that has not seen the development transcripts.</param>
    /// <param name="perplexityWeight">The interpolation weight chosen by perplexity: the centre of the weights tried, and preferred on ties.</param>
    /// <param name="progress">The fraction of the decodes done.</param>
    public static async Task<TuningResult> TuneAsync(DecoderSettings settings, string domainModelPath, string? dictionaryPath,
        double perplexityWeight, IReadOnlyList<(string AudioPath, string Reference)> development, int decoders,
        Action<double>? progress = null, CancellationToken ct = default)
    {
        if (development.Count == 0) throw new ArgumentException("there is no development audio", nameof(development));
        var weights = InterpolationWeights(perplexityWeight);
        var grid = LanguageWeightGrid.SelectMany(lw => InsertionPenaltyGrid.Select(wip => new LanguageWeights(lw, wip))).ToList();
        var candidates = new List<TuningCandidate>();
        var done = 0;
        foreach (var weight in weights)
        {
            using var pool = DecoderPool.ForCustomModel(settings, new CustomLanguageModel(domainModelPath, dictionaryPath, weight), decoders);
            var hypotheses = new IReadOnlyList<string>[development.Count];
            await Parallel.ForEachAsync(Enumerable.Range(0, development.Count),
                new ParallelOptions { MaxDegreeOfParallelism = decoders, CancellationToken = ct }, async (i, token) =>
                {
                    hypotheses[i] = await pool.DecodeFileRescoredAsync(development[i].AudioPath, grid, token);
                    progress?.Invoke(Interlocked.Increment(ref done) / (double)(weights.Count * development.Count));
                });
            for (var g = 0; g < grid.Count; g++)
            {
                var errors = ErrorCounts.Sum(development.Select((d, i) => ErrorRate.Words(d.Reference, hypotheses[i][g]).Counts));
                candidates.Add(new TuningCandidate(weight, grid[g].LanguageWeight, grid[g].WordInsertionPenalty, Math.Round(errors.Rate * 100, 4)));
            }
        }
        // The lowest error rate; among equals, the setting nearest the untuned one (the perplexity
        // weight, then pocketsphinx's language weight and penalty), so that a small development set
        // moves nothing it gives no evidence for.
        var defaults = LanguageWeights.Default;
        var chosen = candidates
            .OrderBy(c => c.WordErrorRate)
            .ThenBy(c => Math.Abs(c.InterpolationWeight - perplexityWeight))
            .ThenBy(c => Math.Abs(c.LanguageWeight - defaults.LanguageWeight))
            .ThenBy(c => Math.Abs(Math.Log(c.WordInsertionPenalty / defaults.WordInsertionPenalty)))
            .First();
        return new TuningResult(chosen, candidates, weights.Count * development.Count);
    }
}
