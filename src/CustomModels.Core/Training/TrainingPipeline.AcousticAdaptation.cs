using CustomModels.Core.Data;
using CustomModels.Speech.Acoustic;
using CustomModels.Speech.Audio;
using CustomModels.Speech.Decoding;
using CustomModels.Speech.Lexicon;
using CustomModels.Speech.Scoring;
using CustomModels.Speech.Text;

namespace CustomModels.Core.Training;

/// <summary>One way of adapting the acoustic model, with its word error rate on the development split.</summary>
/// <param name="Name">"none", "cmn" (the channel's initial cepstral mean only), "mllr" or "map".</param>
public sealed record AdaptationCandidate(string Name, double? DevelopmentWordErrorRate, string? Note = null);

/// <summary>
/// What the acoustic adaptation stage did: the candidates it compared on the development split and
/// the one chosen (the lowest WER; a tie goes to the simpler one, so an adaptation that does not
/// help is never shipped), or why it adapted nothing.
/// </summary>
public sealed record AcousticAdaptationReport(
    /// <summary>"none", "cmn", "mllr" or "map".</summary>
    string Chosen,
    /// <summary>Why nothing was adapted or compared, when so.</summary>
    string? Note,
    int FittingRecordings,
    double FittingAudioSeconds,
    int DevelopmentRecordings,
    IReadOnlyList<AdaptationCandidate> Candidates,
    /// <summary>Wall time of each adaptation step (features, channel_mean, alignment, mllr, map) and of each candidate's decoding (decode_none, …).</summary>
    IReadOnlyDictionary<string, double> StepSeconds);

public sealed partial class TrainingPipeline
{
    /// <summary>Below this much audio of training pairs to fit on, the stage adapts nothing.</summary>
    public const double MinimumAdaptationSeconds = 60;

    /// <summary>
    /// bw aligns a recording whole, in memory that grows with its length: longer pairs are left
    /// out of the fitting (they still train the language model).
    /// </summary>
    public const double MaxAdaptationRecordingSeconds = 120;

    /// <summary>At most this much audio is fitted on (an even spread of the pairs), which bounds the stage's time.</summary>
    public const double MaxAdaptationSeconds = 3600;

    /// <summary>
    /// The acoustic adaptation stage. The acoustic model is adapted to the fitting pairs (training
    /// pairs outside the evaluation and development sets), and each candidate decodes the
    /// development pairs; the evaluation pairs are never seen. The development pairs are decoded
    /// with the base language model: the domain model was estimated from their transcripts too, and
    /// would recognize them from the words alone, hiding what the acoustic model changed.
    /// The chosen model's files go to the artifact's acoustic folder.
    /// </summary>
    async Task<AcousticAdaptationReport> AdaptAcousticModelAsync(DecoderSettings settings, TrainingDataSplit split,
        PronouncingDictionary baseDictionary, LexiconExtension lexicon, string workDirectory, ModelArtifact artifact,
        int from, int to, Func<int, Task> progress, CancellationToken ct)
    {
        var development = split.Development.ToList();
        var unpronounceable = lexicon.Unpronounceable.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var usable = split.FittingPairs
            .Where(d => (d.AudioSeconds ?? 0) <= MaxAdaptationRecordingSeconds)
            .Select(d => (Data: d, Transcript: TranscriptNormalizer.Normalize(string.Join(' ', ReadTranscript(d, "Training")))))
            .Where(p => p.Transcript.Length > 0 && !p.Transcript.Split(' ').Any(unpronounceable.Contains))
            .ToList();
        var fitting = EvenlyUpTo(usable, p => p.Data.AudioSeconds ?? 0, MaxAdaptationSeconds);
        var fittingSeconds = fitting.Sum(p => p.Data.AudioSeconds ?? 0);
        AcousticAdaptationReport Nothing(string note) =>
            new("none", note, fitting.Count, Math.Round(fittingSeconds, 2), development.Count, [], new Dictionary<string, double>());

        if (development.Count == 0)
            return Nothing($"no development split to choose an adaptation on ({split.DevelopmentNote})");
        if (fittingSeconds < MinimumAdaptationSeconds)
            return Nothing($"{fittingSeconds:0.#} s of training audio to adapt to (outside the evaluation and development sets, " +
                           $"recordings of at most {MaxAdaptationRecordingSeconds:0} s); acoustic adaptation needs at least {MinimumAdaptationSeconds:0} s");

        var newWords = lexicon.NewWords.ToLookup(p => p.Word, StringComparer.OrdinalIgnoreCase);
        IReadOnlyList<Pronunciation> Pronounce(string word) =>
            baseDictionary.Contains(word) ? baseDictionary.Lookup(word) : newWords[word].ToList();
        var folder = Path.Combine(workDirectory, "acoustic-adaptation");
        AcousticAdaptationResult adapted;
        try
        {
            adapted = await new AcousticAdapter(settings).AdaptAsync(
                fitting.Select(p => new AdaptationUtterance(blobs.FullPath(p.Data.AudioBlob!), p.Transcript, p.Data.AudioFileName ?? $"data set {p.Data.Id}")).ToList(),
                Pronounce, folder, ct);
        }
        catch (AcousticAdaptationException e)
        {
            throw new TrainingFailure($"Acoustic adaptation failed: {e.Message}");
        }
        catch (AudioDecodeException)
        {
            throw new TrainingFailure("Training audio could not be decoded for acoustic adaptation");
        }
        var steps = new Dictionary<string, double>(adapted.StepSeconds);
        var middle = from + (to - from) / 2;
        await progress(middle);

        // The candidates in order of simplicity: one is chosen over those before it only if its WER is lower.
        var featureParameters = AdaptedAcousticModel.ReadFeatureParameters(Path.Combine(settings.AcousticModelPath, "feat.params"));
        var batchCmn = featureParameters.LastOrDefault(p => p.Key == "-cmn").Value is "batch" or "current";
        var references = development.ToDictionary(d => d.Id, d => string.Join(' ', ReadTranscript(d, "Training")));
        var candidates = new List<AdaptationCandidate>();
        (string Name, string? Folder)[] folders = [("none", null), ("cmn", adapted.CmnFolder), ("mllr", adapted.MllrFolder), ("map", adapted.MapFolder)];
        var span = (to - middle) / 3.0;
        var decoded = 0;
        foreach (var (name, candidateFolder) in folders)
        {
            if (name == "cmn" && batchCmn)
            {
                // Batch CMN subtracts each utterance's own mean: the initial mean is never used.
                candidates.Add(new AdaptationCandidate(name, candidates[0].DevelopmentWordErrorRate,
                    "decodes exactly as none: the model normalizes each utterance by its own mean (-cmn batch), so the initial mean is never used"));
                continue;
            }
            var candidateSettings = candidateFolder is null ? settings : AdaptedAcousticModel.Apply(settings, candidateFolder);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var hypotheses = await DecodeAllAsync(DecoderPool.ForBaseModel(candidateSettings, DecodersPerModel), development,
                middle + (int)(span * decoded), middle + (int)(span * (decoded + 1)), progress, ct);
            decoded++;
            steps[$"decode_{name}"] = Math.Round(watch.Elapsed.TotalSeconds, 3);
            var errors = ErrorCounts.Sum(development.Select(d => ErrorRate.Words(references[d.Id], hypotheses[d.Id]).Counts));
            candidates.Add(new AdaptationCandidate(name, Math.Round(errors.Rate * 100, 4)));
        }
        var chosen = candidates[0];
        foreach (var candidate in candidates.Skip(1))
            if (candidate.DevelopmentWordErrorRate < chosen.DevelopmentWordErrorRate) chosen = candidate;

        if (folders.Single(f => f.Name == chosen.Name).Folder is { } chosenFolder)
            artifact.WriteAcousticModel(AdaptedAcousticModel.Files(chosenFolder));
        Directory.Delete(folder, recursive: true);
        await progress(to);
        return new AcousticAdaptationReport(chosen.Name, null, fitting.Count, Math.Round(fittingSeconds, 2), development.Count, candidates, steps);
    }

    /// <summary>The items, or every k-th of them (k as small as keeps their total <paramref name="size"/> within <paramref name="limit"/>), in order.</summary>
    static List<T> EvenlyUpTo<T>(List<T> items, Func<T, double> size, double limit)
    {
        var total = items.Sum(size);
        var stride = total <= limit ? 1 : (int)Math.Ceiling(total / limit);
        var kept = new List<T>();
        var taken = 0.0;
        foreach (var item in items.Where((_, i) => i % stride == 0))
        {
            if (taken + size(item) > limit) continue;
            kept.Add(item);
            taken += size(item);
        }
        return kept;
    }
}
