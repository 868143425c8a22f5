using System.Text.Json;
using CustomModels.Core.Recognition;
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
using Microsoft.Extensions.Options;

namespace CustomModels.Core.Training;

/// <summary>
/// What a successful training produced: a folder ready to publish, its measured metrics, where they
/// were measured and on which data; and the version active when it decoded the evaluation audio,
/// with that version's WER on the same audio (the promotion gate's yardstick).
/// </summary>
public sealed record TrainingResult(ModelArtifact Artifact, EvaluationMetrics Metrics, string EvaluationSource,
    IReadOnlyList<long> DataIds, int? ComparedVersion, double? ComparedWordErrorRate);

/// <summary>
/// The training job, stage by stage:
/// text → lexicon (new words with pronunciations) → domain language model → interpolation weight
/// → decoder tuning and acoustic adaptation (both chosen on the development split) → decode the evaluation audio with the
/// base model, the active version (when the model has one) and the new model → metrics and error
/// analysis → artifact (<see cref="ModelArtifact"/>).
/// Progress is reported as the real stages complete.
/// </summary>
public sealed partial class TrainingPipeline(BlobStore blobs, Recognizers recognizers, Pronouncers pronouncers, IOptions<TrainingWorkerOptions> options, TimeProvider time)
{
    const int Order = 3;
    const int DecodersPerModel = 2;

    /// <summary>The lexicon stage's share that training the grapheme-to-phoneme model takes when it has to be trained.</summary>
    const double PronouncerTrainingShare = 0.8;

    /// <summary>
    /// Above this many sentences of training text the interpolation weight is chosen on an even
    /// sample of at most this many, held out of the model; up to it, by cross-validation over all.
    /// </summary>
    public const int HeldOutSentences = 50_000;

    public async Task<TrainingResult> RunAsync(AppDbContext db, long modelId, long jobId, string workDirectory,
        Func<int, Task> progress, CancellationToken ct)
    {
        var model = await db.CustomModels.AsNoTracking().FirstAsync(m => m.Id == modelId, ct);
        var settings = recognizers.Find(model.Language)
            ?? throw new TrainingFailure($"no recognizer is installed for language '{model.Language}'");
        var dataSets = await db.DataSets.AsNoTracking().Where(d => d.ModelId == modelId).OrderBy(d => d.Id).ToListAsync(ct);

        var split = TrainingDataSplit.Of(dataSets);
        var evaluation = split.Evaluation.ToList();
        var evaluationSource = split.EvaluationSource;
        var testTexts = split.TestTexts;
        // The development pairs' transcripts go last, so that the text before them is the text a
        // model for tuning may see (see step 5).
        var training = split.FittingPairs.Concat(split.TrainingTexts).OrderBy(d => d.Id).Concat(split.Development).ToList();

        var artifact = ModelArtifact.Create(Path.Combine(workDirectory, "artifact"));
        var stages = new StageTimer();

        // 1. Text: the training transcripts streamed into one file of normalized sentences (the
        // same normalization as scoring), never held whole; the distinct words counted on the way.
        var textPath = Path.Combine(workDirectory, "text.txt");
        long sentences, sentencesBeforeDevelopment = 0;
        IReadOnlyList<string> distinctWords;
        using (var corpus = new NormalizedCorpus(textPath))
        {
            var totalBytes = Math.Max(1, training.Sum(d => TranscriptBytes(d)));
            var doneBytes = 0L;
            await StageAsync(report =>
            {
                foreach (var data in training)
                {
                    if (data == split.Development.FirstOrDefault()) sentencesBeforeDevelopment = corpus.Sentences;
                    var bytes = TranscriptBytes(data);
                    AppendTranscript(corpus, data, "Training", f => report((doneBytes + f * bytes) / totalBytes), ct);
                    doneBytes += bytes;
                }
            }, 0, 10, progress, ct);
            if (corpus.Words == 0) throw new TrainingFailure("Training text has no words after normalization");
            sentences = corpus.Sentences;
            if (split.Development.Count == 0) sentencesBeforeDevelopment = sentences;
            distinctWords = corpus.DistinctWords();
        }
        stages.End("text");

        // 2. Lexicon: the words the base dictionary lacks, each pronounced once by the model trained
        // on it (espeak-ng where it cannot).
        var baseDictionary = PronouncingDictionary.Load(settings.DictionaryPath);
        var extension = await StageAsync(report =>
        {
            // Training the grapheme-to-phoneme model (only the first training of a dictionary in a
            // process, and only if it is not cached) is most of the stage when it happens.
            var trainingShare = 0.0;
            var generating = pronouncers.ForAsync(settings, baseDictionary, ct, f => report(trainingShare = PronouncerTrainingShare * f))
                .GetAwaiter().GetResult();
            IReadOnlyList<IPronouncer> pronouncing = generating;
            if (split.PronunciationFiles.Count > 0)
            {
                // The customer's pronunciation files come first: a word they cover is said their way.
                var phones = AcousticPhoneSet.Load(settings.AcousticModelPath).Phones;
                var entries = split.PronunciationFiles.SelectMany(d => ReadingTranscript(d, "Pronunciation",
                    () => PronunciationFile.Parse(blobs.FullPath(d.TranscriptBlob), phones, _ => true).Entries)).ToList();
                pronouncing = [new GivenPronouncer(PronunciationFile.PronounceAsync(entries, baseDictionary, generating, ct).GetAwaiter().GetResult()), .. generating];
            }
            return LexiconBuilder.ExtendWithWordsAsync(distinctWords, baseDictionary, pronouncing, ct,
                f => report(trainingShare + (1 - trainingShare) * f)).GetAwaiter().GetResult();
        }, 10, 20, progress, ct);
        distinctWords = [];
        artifact.WriteDictionary(extension.NewWords);
        stages.End("lexicon");
        // The lexicon stage may have trained the grapheme-to-phoneme model: hundreds of megabytes
        // of arrays, garbage now, that the collector would keep for reuse. Given back before the
        // stage that needs the most memory (measured on the 200 MB bench corpus: the service held
        // 1.1 GB after the lexicon stage, and peaked at 2.1 GB while estimating).
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

        // 3. Domain language model. A small text chooses the weight by cross-validation over all of
        // it (step 4); a large one holds out an even sample of at most HeldOutSentences sentences,
        // which the model does not see and the weight is chosen on.
        var modelTextPath = textPath;
        string? heldOutPath = null;
        var arpaPath = artifact.LanguageModelPath;
        var languageModel = await StageAsync(report =>
        {
            // Copying the text into the two files is a pass over it, some tenth of estimating's time.
            var splitShare = 0.0;
            if (sentences > HeldOutSentences)
            {
                splitShare = 0.1;
                modelTextPath = Path.Combine(workDirectory, "model-text.txt");
                heldOutPath = Path.Combine(workDirectory, "held-out.txt");
                var stride = (int)((sentences + HeldOutSentences - 1) / HeldOutSentences);
                NormalizedCorpus.Split(textPath, stride, modelTextPath, heldOutPath, ct, f => report(splitShare * f));
                File.Delete(textPath);
            }
            using var text = new FileStream(modelTextPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            using var arpa = new FileStream(arpaPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            var testLines = testTexts.SelectMany(d => ReadTranscript(d, "Test")).ToList();
            // Written as it is estimated: the model is never held whole, only what scoring the test text needs.
            var estimate = KneserNeyEstimator.EstimateToArpa(text, Order, new EstimationOptions
            {
                MemoryBudgetBytes = options.Value.MemoryBudgetMegabytes * (1L << 20),
                NGramLimit = EstimationOptions.DecoderNGramLimit,
                TemporaryDirectory = workDirectory,
                Progress = f => report(splitShare + (1 - splitShare) * f),
                CancellationToken = ct,
            }, arpa, testLines);
            ct.ThrowIfCancellationRequested();
            double? testTextPerplexity = null;
            var measured = Perplexity.Measure(estimate.Model, testLines);
            if (measured.Tokens > 0) testTextPerplexity = measured.ExcludingOovs;
            return (NGrams: estimate.NGramCounts.ToList(), estimate.Sentences, estimate.Words, TestTextPerplexity: testTextPerplexity, estimate.PrunedBelow);
        }, 20, 36, progress, ct);
        stages.End("language_model");

        // sphinxbase reads the ARPA text once, here, and writes its binary, which everything after
        // reads: the weight choice, the tuning and evaluation decoders, and the trained model's.
        var binaryPath = artifact.BinaryLanguageModelPath;
        await StageAsync(report => BinaryLanguageModel.Write(settings, arpaPath, binaryPath, report), 36, 40, progress, ct);
        ct.ThrowIfCancellationRequested();
        stages.End("language_model_binary");

        // 4. Interpolation weight: lowest perplexity of held-out training text under base + domain.
        var choice = await StageAsync(report =>
        {
            if (heldOutPath is not null)
                return InterpolationWeight.ChooseByPerplexity(settings, binaryPath, TranscriptNormalizer.ReadLines(heldOutPath), ct: ct, progress: report);
            if (sentences < 2) return null;
            var lines = TranscriptNormalizer.ReadLines(textPath).ToList(); // at most HeldOutSentences
            return InterpolationWeight.ChooseByCrossValidation(settings, lines, Order, ct: ct, progress: report);
        }, 40, 50, progress, ct);
        var weight = choice?.Weight ?? 0.5;
        stages.End("interpolation_weight");
        await progress(50);

        // 5. Tuning: the interpolation weight, language weight and word insertion penalty with the
        // lowest word error rate on the development pairs, decoded with a domain model that has not
        // seen their transcripts: for a small text one estimated without them (they are its last
        // sentences), for a large one the model of step 3 (a few sentences among more than
        // HeldOutSentences, which that model was also estimated without when held out).
        TuningResult? tuning = null;
        if (split.Development.Count > 0)
        {
            var development = split.Development.Select(d => (blobs.FullPath(d.AudioBlob!), string.Join(' ', ReadTranscript(d, "Training")))).ToList();
            tuning = await StageAsync(report =>
            {
                var tuningModelPath = binaryPath;
                var tuningDictionaryPath = artifact.DictionaryPath;
                if (heldOutPath is null)
                {
                    // The words only the development transcripts use are left out of its dictionary
                    // too: to it they are what words never seen in training are to the trained model.
                    tuningModelPath = Path.Combine(workDirectory, "tuning.arpa");
                    tuningDictionaryPath = Path.Combine(workDirectory, "tuning.dict");
                    var seen = TranscriptNormalizer.ReadLines(textPath).Take((int)sentencesBeforeDevelopment).ToList();
                    if (seen.Count == 0) return null; // every sentence is a development one: nothing to tune with
                    ArpaWriter.Write(KneserNeyEstimator.Estimate(seen, Order).Model, tuningModelPath);
                    var seenWords = seen.SelectMany(TranscriptNormalizer.Words).ToHashSet(StringComparer.OrdinalIgnoreCase);
                    PronouncingDictionary.Write(tuningDictionaryPath, extension.NewWords.Where(p => seenWords.Contains(p.Word)));
                }
                try
                {
                    return DevelopmentTuning.TuneAsync(settings, tuningModelPath, tuningDictionaryPath, weight,
                        development, DecodersPerModel, report, ct).GetAwaiter().GetResult();
                }
                catch (AudioDecodeException)
                {
                    throw new TrainingFailure("Training audio of the development split could not be decoded");
                }
            }, 50, 60, progress, ct);
            if (tuning is not null) weight = tuning.Chosen.InterpolationWeight;
        }
        var languageWeights = tuning?.LanguageWeights;
        stages.End("tuning");

        // 6. Acoustic adaptation: none, the channel's mean, MLLR or MAP, chosen on the development split.
        var acoustic = await AdaptAcousticModelAsync(settings, split, baseDictionary, extension, workDirectory, artifact, 60, 68, progress, ct);
        await artifact.WriteModelFileAsync(new TrainedModelFile(model.Language, Order, weight, languageWeights?.LanguageWeight,
            languageWeights?.WordInsertionPenalty, acoustic.Chosen), ct);
        stages.End("acoustic_adaptation");

        // 7. Decode the evaluation audio with the base model, the active version and the new model.
        var references = evaluation.ToDictionary(d => d.Id, d => string.Join(' ', ReadTranscript(d, "Test")));
        var baseHypotheses = await DecodeAllAsync(DecoderPool.ForBaseModel(settings, DecodersPerModel), evaluation, 68, 75, progress, ct);
        stages.End("decode_base");
        var comparedVersion = evaluation.Count > 0 ? model.ActiveVersion : null;
        Dictionary<long, string>? activeHypotheses = null;
        if (comparedVersion is not null && model.ArtifactName is { } activeArtifact)
        {
            var active = ModelArtifact.Of(blobs, modelId, activeArtifact);
            activeHypotheses = await DecodeAllAsync(DecoderPool.ForCustomModel(active.DecoderSettings(settings), active.LoadLanguageModel(), DecodersPerModel),
                evaluation, 75, 85, progress, ct);
            stages.End("decode_active");
        }
        var custom = new CustomLanguageModel(binaryPath, artifact.DictionaryPath, weight, languageWeights);
        var customHypotheses = await DecodeAllAsync(DecoderPool.ForCustomModel(artifact.DecoderSettings(settings), custom, DecodersPerModel),
            evaluation, 85, 95, progress, ct);
        stages.End("decode_custom");

        // 8. Metrics and error analysis, by alignment of normalized words and characters.
        var scored = evaluation.Select(d => new ScoredUtterance(d, TranscriptNormalizer.Normalize(references[d.Id]),
            ErrorRate.Words(references[d.Id], baseHypotheses[d.Id]), ErrorRate.Words(references[d.Id], customHypotheses[d.Id]),
            activeHypotheses is null ? null : ErrorRate.Words(references[d.Id], activeHypotheses[d.Id]))).ToList();
        var utterances = scored.Select(u => new UtteranceEvaluation(u.Data.Id, u.Data.AudioFileName ?? "", u.Reference,
            TranscriptNormalizer.Normalize(baseHypotheses[u.Data.Id]), TranscriptNormalizer.Normalize(customHypotheses[u.Data.Id]),
            Summary(u.Base.Counts), Summary(u.Custom.Counts),
            activeHypotheses is null ? null : TranscriptNormalizer.Normalize(activeHypotheses[u.Data.Id]),
            u.Active is null ? null : Summary(u.Active.Counts))).ToList();
        var metrics = Measure(evaluation, references, baseHypotheses, customHypotheses,
            trainingSeconds: training.Sum(d => d.AudioSeconds ?? 0));
        double? comparedWordErrorRate = activeHypotheses is null ? null : ErrorCounts.Sum(scored.Select(u => u.Active!.Counts)).Rate * 100;
        var customTable = new WordErrorTable(scored.Select(u => u.Custom.Alignment));
        var baseTable = new WordErrorTable(scored.Select(u => u.Base.Alignment));
        var referenceWordCounts = scored.SelectMany(u => u.Base.Alignment).Where(step => step.Reference is not null)
            .CountBy(step => step.Reference!, StringComparer.Ordinal).ToDictionary(StringComparer.Ordinal);
        var newWords = extension.NewWords.GroupBy(w => w.Word, StringComparer.Ordinal)
            .Select(g => new NewWord(g.Key, g.Select(p => string.Join(' ', p.Phones)).ToList(), extension.SourceOf[g.Key], referenceWordCounts.GetValueOrDefault(g.Key),
                baseTable.CorrectCount(g.Key), customTable.CorrectCount(g.Key)))
            .ToList();
        var comparisons = new List<Comparison>();
        if (scored.Count > 0)
        {
            comparisons.Add(Compare("custom_vs_base", "custom", "base", scored.Select(u => u.Custom.Counts).ToList(), scored.Select(u => u.Base.Counts).ToList()));
            if (activeHypotheses is not null)
                comparisons.Add(Compare("new_vs_active", "custom", $"version {comparedVersion}",
                    scored.Select(u => u.Custom.Counts).ToList(), scored.Select(u => u.Active!.Counts).ToList()));
        }
        stages.End("metrics");

        var report = new EvaluationReport(modelId, jobId, ModelMapping.Timestamp(time.UtcNowToSecond()), evaluationSource,
            weight, choice is null ? "default" : heldOutPath is null ? "cross_validation" : "held_out_sample",
            choice?.Candidates.Select(c => new WeightPerplexity(c.Weight, Math.Round(c.Perplexity, 3))).ToList() ?? [],
            new LanguageModelSummary(Order, languageModel.NGrams, languageModel.Sentences, languageModel.Words,
                choice?.Candidates.FirstOrDefault(c => c.Weight == weight)?.Perplexity is { } p ? Math.Round(p, 3) : null,
                languageModel.TestTextPerplexity is { } t ? Math.Round(t, 3) : null, languageModel.PrunedBelow),
            newWords, extension.Unpronounceable, metrics, stages.Seconds, utterances,
            activeHypotheses is null ? null : comparedVersion, customTable.Words(), customTable.Confusions(EvaluationReport.ConfusionsShown), comparisons,
            new DecoderTuningReport(split.Development.Count, split.Development.Select(d => d.Id).ToList(),
                tuning is null ? split.DevelopmentNote ?? "no training text outside the development pairs; the decoder's default settings are used" : null,
                tuning?.Chosen, tuning?.Decodes ?? 0, tuning?.Candidates ?? []),
            acoustic);
        await artifact.WriteEvaluationAsync(report, ct);
        return new TrainingResult(artifact, metrics, evaluationSource, dataSets.Select(d => d.Id).ToList(),
            activeHypotheses is null ? null : comparedVersion, comparedWordErrorRate);
    }

    sealed record ScoredUtterance(TrainingDataSet Data, string Reference, UtteranceErrors Base, UtteranceErrors Custom, UtteranceErrors? Active);

    static Comparison Compare(string name, string system, string baseline, List<ErrorCounts> systemCounts, List<ErrorCounts> baselineCounts)
    {
        var difference = PairedBootstrap.Compare(systemCounts, baselineCounts);
        static double Round(double value) => Math.Round(value, 4);
        return new Comparison(name, system, baseline, Round(ErrorCounts.Sum(systemCounts).Rate * 100), Round(ErrorCounts.Sum(baselineCounts).Rate * 100),
            Round(difference.Difference), Round(difference.Lower), Round(difference.Upper), difference.Confidence, difference.Resamples, difference.Seed);
    }

    IReadOnlyList<string> ReadTranscript(TrainingDataSet data, string role) =>
        ReadingTranscript(data, role, () => TranscriptNormalizer.ReadLines(blobs.FullPath(data.TranscriptBlob)).ToList());

    void AppendTranscript(NormalizedCorpus corpus, TrainingDataSet data, string role, Action<double> progress, CancellationToken ct) =>
        ReadingTranscript(data, role, () =>
        {
            using var text = new FileStream(blobs.FullPath(data.TranscriptBlob), FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            corpus.Append(text, progress, ct);
            return true;
        });

    long TranscriptBytes(TrainingDataSet data)
    {
        var file = new FileInfo(blobs.FullPath(data.TranscriptBlob));
        return file.Exists ? file.Length : 0;
    }

    /// <summary>A stored transcript read by <paramref name="read"/>, its failures in words a user can act on.</summary>
    static T ReadingTranscript<T>(TrainingDataSet data, string role, Func<T> read)
    {
        try
        {
            return read();
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

    /// <summary>
    /// Runs a stage's work on a thread of its own while this one moves `training_progress` from
    /// <paramref name="from"/> towards <paramref name="to"/> as the work reports its fraction done
    /// (at most once a second), so that a long stage shows it is moving.
    /// </summary>
    static async Task<T> StageAsync<T>(Func<Action<double>, T> work, int from, int to, Func<int, Task> progress, CancellationToken ct)
    {
        var fraction = 0.0;
        var task = Task.Run(() => work(f => Volatile.Write(ref fraction, Math.Clamp(f, 0, 1))), ct);
        var reported = from;
        while (!task.IsCompleted)
        {
            await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None));
            var percent = from + (int)((to - from) * Volatile.Read(ref fraction));
            if (percent > reported && !task.IsCompleted)
            {
                await progress(percent);
                reported = percent;
            }
        }
        var result = await task;
        await progress(to);
        return result;
    }

    static Task StageAsync(Action<Action<double>> work, int from, int to, Func<int, Task> progress, CancellationToken ct) =>
        StageAsync(report =>
        {
            work(report);
            return true;
        }, from, to, progress, ct);

    async Task<Dictionary<long, string>> DecodeAllAsync(DecoderPool pool, List<TrainingDataSet> evaluation, int from, int to,
        Func<int, Task> progress, CancellationToken ct)
    {
        using var _ = pool;
        var hypotheses = new System.Collections.Concurrent.ConcurrentDictionary<long, string>();
        var done = 0;
        var reported = from;
        using var reporting = new SemaphoreSlim(1);
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
                // Progress after each file, never backwards (two decoders finish in any order).
                await reporting.WaitAsync(token);
                try
                {
                    var percent = from + (to - from) * ++done / evaluation.Count;
                    if (percent > reported && percent < to)
                    {
                        await progress(percent);
                        reported = percent;
                    }
                }
                finally
                {
                    reporting.Release();
                }
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
