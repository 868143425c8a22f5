using System.Text.Json;
using CustomModels.Core.Data;
using CustomModels.Core.Models;
using CustomModels.Core.Storage;
using CustomModels.Speech.Audio;
using CustomModels.Speech.Decoding;
using CustomModels.Speech.LanguageModel;
using CustomModels.Speech.Lexicon;
using CustomModels.Speech.Scoring;
using CustomModels.Speech.Text;
using Microsoft.EntityFrameworkCore;

namespace CustomModels.Core.Training;

/// <summary>What a successful training produced: a folder ready to publish and its measured metrics.</summary>
public sealed record TrainingResult(string ArtifactDirectory, EvaluationMetrics Metrics);

/// <summary>
/// The training job, stage by stage (DESIGN.md "Training pipeline"):
/// text → lexicon (new words with pronunciations) → domain language model → interpolation weight
/// → decode the evaluation audio with the base and the custom model → metrics → artifact.
/// The artifact folder holds domain.arpa, words.dict, model.json (weight) and evaluation.json.
/// Progress is reported as the real stages complete.
/// </summary>
public sealed class TrainingPipeline(BlobStore blobs, Recognizers recognizers, Pronouncers pronouncers)
{
    public const string ArpaFile = "domain.arpa";
    public const string DictionaryFile = "words.dict";
    public const string ModelFile = "model.json";
    public const string EvaluationFile = "evaluation.json";
    const int Order = 3;
    const int DecodersPerModel = 2;

    public async Task<TrainingResult> RunAsync(AppDbContext db, long modelId, long jobId, string workDirectory,
        Func<int, Task> progress, CancellationToken ct)
    {
        var model = await db.CustomModels.AsNoTracking().FirstAsync(m => m.Id == modelId, ct);
        var settings = recognizers.Find(model.Language)
            ?? throw new TrainingFailure($"no recognizer is installed for language '{model.Language}'");
        var dataSets = await db.DataSets.AsNoTracking().Where(d => d.ModelId == modelId).OrderBy(d => d.Id).ToListAsync(ct);

        var trainPairs = dataSets.Where(d => d.Kind == DataSetKind.Train && d.AudioBlob is not null).ToList();
        var trainTexts = dataSets.Where(d => d.Kind == DataSetKind.Train && d.AudioBlob is null).ToList();
        var testPairs = dataSets.Where(d => d.Kind == DataSetKind.Test && d.AudioBlob is not null).ToList();
        var testTexts = dataSets.Where(d => d.Kind == DataSetKind.Test && d.AudioBlob is null).ToList();

        // Evaluate on the uploaded test audio; without any, on a deterministic 10% of the training
        // pairs, which are then kept out of the language model.
        var heldOut = testPairs.Count > 0 ? [] : HoldOut(trainPairs);
        var evaluation = testPairs.Count > 0 ? testPairs : heldOut;
        var evaluationSource = testPairs.Count > 0 ? "test_data" : heldOut.Count > 0 ? "held_out_training_pairs" : "none";
        var training = trainPairs.Except(heldOut).Concat(trainTexts).OrderBy(d => d.Id).ToList();

        var artifact = Path.Combine(workDirectory, "artifact");
        Directory.CreateDirectory(artifact);
        var stages = new StageTimer();

        // 1. Text: the same normalization as scoring.
        var lines = new List<string>();
        foreach (var data in training)
            lines.AddRange(ReadTranscript(data, "Training").Select(TranscriptNormalizer.Normalize).Where(l => l.Length > 0));
        if (lines.Count == 0) throw new TrainingFailure("Training text has no words after normalization");
        stages.End("text");
        await progress(10);

        // 2. Lexicon: the words the base dictionary lacks, pronounced by the model trained on it (espeak-ng where it cannot).
        var baseDictionary = PronouncingDictionary.Load(settings.DictionaryPath);
        var extension = await LexiconBuilder.ExtendAsync(lines, baseDictionary, await pronouncers.ForAsync(settings, baseDictionary, ct), ct);
        PronouncingDictionary.Write(Path.Combine(artifact, DictionaryFile), extension.NewWords);
        stages.End("lexicon");
        await progress(25);

        // 3. Domain language model.
        var estimate = KneserNeyEstimator.Estimate(lines, Order);
        var arpaPath = Path.Combine(artifact, ArpaFile);
        ArpaWriter.Write(estimate.Model, arpaPath);
        double? testTextPerplexity = null;
        var testLines = testTexts.SelectMany(d => ReadTranscript(d, "Test")).ToList();
        if (testLines.Count > 0) testTextPerplexity = Perplexity.Measure(estimate.Model, testLines).ExcludingOovs;
        stages.End("language_model");
        await progress(40);

        // 4. Interpolation weight: lowest perplexity of held-out training text under base + domain.
        ct.ThrowIfCancellationRequested();
        WeightChoice? choice = lines.Count >= 2 ? InterpolationWeight.ChooseByCrossValidation(settings, lines, Order) : null;
        var weight = choice?.Weight ?? 0.5;
        await File.WriteAllTextAsync(Path.Combine(artifact, ModelFile),
            JsonSerializer.Serialize(new TrainedModelFile(model.Language, Order, weight), EvaluationReport.Json), ct);
        stages.End("interpolation_weight");
        await progress(50);

        // 5–6. Decode the evaluation audio with the base model, then with the custom model.
        var references = evaluation.ToDictionary(d => d.Id, d => string.Join(' ', ReadTranscript(d, "Test")));
        var baseHypotheses = await DecodeAllAsync(DecoderPool.ForBaseModel(settings, DecodersPerModel), evaluation, 50, 72, progress, ct);
        stages.End("decode_base");
        var custom = new CustomLanguageModel(arpaPath, Path.Combine(artifact, DictionaryFile), weight);
        var customHypotheses = await DecodeAllAsync(DecoderPool.ForCustomModel(settings, custom, DecodersPerModel), evaluation, 72, 95, progress, ct);
        stages.End("decode_custom");

        // 7. Metrics, by alignment of normalized words and characters.
        var utterances = evaluation.Select(d =>
        {
            var reference = TranscriptNormalizer.Normalize(references[d.Id]);
            var baseErrors = ErrorRate.Words(reference, baseHypotheses[d.Id]).Counts;
            var customErrors = ErrorRate.Words(reference, customHypotheses[d.Id]).Counts;
            return new UtteranceEvaluation(d.Id, d.AudioFileName ?? "", reference,
                TranscriptNormalizer.Normalize(baseHypotheses[d.Id]), TranscriptNormalizer.Normalize(customHypotheses[d.Id]),
                Summary(baseErrors), Summary(customErrors));
        }).ToList();
        var metrics = Measure(evaluation, references, baseHypotheses, customHypotheses,
            trainingSeconds: training.Sum(d => d.AudioSeconds ?? 0));
        stages.End("metrics");

        var report = new EvaluationReport(modelId, jobId, Clock.UtcNow().ToString("yyyy-MM-ddTHH:mm:ssZ"), evaluationSource,
            weight, choice is null ? "default" : "cross_validation",
            choice?.Candidates.Select(c => new WeightPerplexity(c.Weight, Math.Round(c.Perplexity, 3))).ToList() ?? [],
            new LanguageModelSummary(Order, Enumerable.Range(1, Order).Select(o => (long)estimate.Model.NGramCount(o)).ToList(),
                estimate.Sentences, estimate.Words,
                choice?.Candidates.FirstOrDefault(c => c.Weight == weight)?.Perplexity is { } p ? Math.Round(p, 3) : null,
                testTextPerplexity is { } t ? Math.Round(t, 3) : null),
            extension.NewWords.Select(w => new NewWord(w.Word, string.Join(' ', w.Phones), extension.SourceOf[w.Word])).ToList(),
            extension.Unpronounceable, metrics, stages.Seconds, utterances);
        await File.WriteAllTextAsync(Path.Combine(artifact, EvaluationFile), JsonSerializer.Serialize(report, EvaluationReport.Json), ct);
        return new TrainingResult(artifact, metrics);
    }

    /// <summary>About 10% of the pairs, spread evenly by upload order; none when there are fewer than two.</summary>
    static List<TrainingDataSet> HoldOut(List<TrainingDataSet> pairs)
    {
        if (pairs.Count < 2) return [];
        var count = Math.Max(1, (int)Math.Round(pairs.Count * 0.1));
        return Enumerable.Range(0, count).Select(k => pairs[(int)((k + 0.5) * pairs.Count / count)]).ToList();
    }

    IReadOnlyList<string> ReadTranscript(TrainingDataSet data, string role)
    {
        try
        {
            return TranscriptNormalizer.ReadLines(blobs.FullPath(data.TranscriptBlob)).ToList();
        }
        catch (TranscriptEncodingException)
        {
            throw new TrainingFailure($"{role} transcript '{data.TranscriptFileName}' is not valid UTF-8 text");
        }
        catch (FileNotFoundException)
        {
            throw new TrainingFailure($"{role} transcript '{data.TranscriptFileName}' is missing from storage; upload it again");
        }
    }

    async Task<Dictionary<long, string>> DecodeAllAsync(DecoderPool pool, List<TrainingDataSet> evaluation, int from, int to,
        Func<int, Task> progress, CancellationToken ct)
    {
        using var _ = pool;
        var hypotheses = new System.Collections.Concurrent.ConcurrentDictionary<long, string>();
        var done = 0;
        await Parallel.ForEachAsync(evaluation, new ParallelOptions { MaxDegreeOfParallelism = DecodersPerModel, CancellationToken = ct },
            async (data, token) =>
            {
                try
                {
                    hypotheses[data.Id] = (await pool.DecodeFileAsync(blobs.FullPath(data.AudioBlob!), token)).Text;
                }
                catch (AudioDecodeException)
                {
                    throw new TrainingFailure($"{(data.Kind == DataSetKind.Test ? "Test" : "Training")} audio '{data.AudioFileName}' could not be decoded");
                }
                Interlocked.Increment(ref done);
            });
        await progress(to);
        return new Dictionary<long, string>(hypotheses);
    }

    static EvaluationMetrics Measure(List<TrainingDataSet> evaluation, Dictionary<long, string> references,
        Dictionary<long, string> baseHypotheses, Dictionary<long, string> customHypotheses, double trainingSeconds)
    {
        var trainingHours = trainingSeconds / 3600;
        var evaluationHours = evaluation.Sum(d => d.AudioSeconds ?? 0) / 3600;
        if (evaluation.Count == 0) return new EvaluationMetrics(null, null, null, null, null, trainingHours, 0, 0);

        ErrorCounts Total(Func<string, string, UtteranceErrors> align, Dictionary<long, string> hypotheses) =>
            ErrorCounts.Sum(evaluation.Select(d => align(references[d.Id], hypotheses[d.Id]).Counts));
        var customWords = Total(ErrorRate.Words, customHypotheses);
        var baseWords = Total(ErrorRate.Words, baseHypotheses);
        var customChars = Total(ErrorRate.Characters, customHypotheses);
        var baseChars = Total(ErrorRate.Characters, baseHypotheses);
        double? improvement = baseWords.Rate > 0 ? (baseWords.Rate - customWords.Rate) / baseWords.Rate * 100 : null;
        return new EvaluationMetrics(customWords.Rate * 100, baseWords.Rate * 100, customChars.Rate * 100, baseChars.Rate * 100,
            improvement, trainingHours, evaluationHours, customWords.ReferenceLength);
    }

    static ErrorSummary Summary(ErrorCounts c) => new(c.Substitutions, c.Deletions, c.Insertions, c.ReferenceLength);
}

/// <summary>Wall time of each stage, in order, as the evaluation report's `stage_seconds`.</summary>
sealed class StageTimer
{
    readonly System.Diagnostics.Stopwatch watch = System.Diagnostics.Stopwatch.StartNew();
    public Dictionary<string, double> Seconds { get; } = [];

    public void End(string stage)
    {
        Seconds[stage] = Math.Round(watch.Elapsed.TotalSeconds, 3);
        watch.Restart();
    }
}

/// <summary>model.json of an artifact: what a decoder needs besides the ARPA and dictionary files.</summary>
public sealed record TrainedModelFile(string Language, int Order, double InterpolationWeight);
