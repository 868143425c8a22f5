using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using CustomModels.Speech.Audio;
using CustomModels.Speech.Decoding;
using CustomModels.Speech.Lexicon;

namespace CustomModels.Speech.Acoustic;

/// <summary>One recording to adapt to: its audio, its normalized transcript, and the name a message gives it.</summary>
public sealed record AdaptationUtterance(string AudioPath, string Transcript, string Label);

/// <summary>
/// The adapted models made from one set of recordings, each a folder for
/// <see cref="AdaptedAcousticModel.Apply"/>: the channel's initial cepstral mean alone, MLLR, and
/// MAP (both of those carry the channel's mean too); and the wall time of each step.
/// </summary>
public sealed record AcousticAdaptationResult(
    IReadOnlyList<double> ChannelMean,
    string CmnFolder,
    string MllrFolder,
    string MapFolder,
    IReadOnlyDictionary<string, double> StepSeconds);

/// <summary>
/// Adapts a pocketsphinx acoustic model to recordings with their transcripts, with Debian's
/// sphinxtrain (the CMU adaptation recipe):
/// <list type="number">
/// <item>features: the audio as the decoder hears it (16 kHz mono PCM through the same converter),
/// cepstra by sphinx_fe with the model's own feat.params;</item>
/// <item>the channel's mean cepstrum over every frame (what <c>-cmninit</c> starts live CMN from);</item>
/// <item>alignment: bw accumulates the Baum-Welch statistics of the model's Gaussians, mixture
/// weights and transitions along each transcript (forced alignment), with the base dictionary's
/// pronunciations and the new words' (the model's own dictionary for this training);</item>
/// <item>MLLR: mllr_solve fits one regression of the means to those statistics;</item>
/// <item>MAP: map_adapt moves every parameter towards the statistics as far as they are
/// supported, and the weights are written back as a sendump (<see cref="MixtureWeights"/>).</item>
/// </list>
/// Only files that differ from the base model's are kept. Each tool runs as a process that the
/// cancellation token kills; a failure says what to do.
/// </summary>
public sealed class AcousticAdapter(DecoderSettings settings)
{
    static readonly string[] ModelFiles = ["means", "variances", "transition_matrices", "noisedict"];

    /// <summary>Adapts to <paramref name="utterances"/>; every word of their transcripts must be in <paramref name="dictionary"/>.</summary>
    /// <exception cref="AcousticAdaptationException">A transcript does not fit its audio, or a tool failed.</exception>
    /// <exception cref="AudioDecodeException">A recording is not usable audio.</exception>
    public async Task<AcousticAdaptationResult> AdaptAsync(IReadOnlyList<AdaptationUtterance> utterances,
        Func<string, IReadOnlyList<Pronunciation>> dictionary, string workDirectory, CancellationToken ct)
    {
        if (utterances.Count == 0) throw new ArgumentException("no recordings to adapt to", nameof(utterances));
        var model = settings.AcousticModelPath;
        foreach (var file in ModelFiles.Append("feat.params").Append("mdef"))
            if (!File.Exists(Path.Combine(model, file)))
                throw new AcousticAdaptationException($"the acoustic model has no {file}: it cannot be adapted");
        var featureParameters = AdaptedAcousticModel.ReadFeatureParameters(Path.Combine(model, "feat.params"))
            .GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value);
        Directory.CreateDirectory(workDirectory);
        var steps = new Dictionary<string, double>();
        var watch = Stopwatch.StartNew();
        void EndStep(string step)
        {
            steps[step] = Math.Round(watch.Elapsed.TotalSeconds, 3);
            watch.Restart();
        }

        // 1. Features. Utterance ids are their positions: the tools see no client's file name.
        var ids = utterances.Select((_, i) => $"u{i:D5}").ToList();
        var cepstra = Path.Combine(workDirectory, "cepstra");
        Directory.CreateDirectory(cepstra);
        // Two conversions at once: each is mostly an ffprobe and an ffmpeg process starting.
        await Parallel.ForEachAsync(Enumerable.Range(0, utterances.Count), new ParallelOptions { MaxDegreeOfParallelism = 2, CancellationToken = ct },
            async (i, token) => await AudioConverter.ConvertToPcmFileAsync(utterances[i].AudioPath, Path.Combine(cepstra, ids[i] + ".raw"), token,
                settings.MaxAudioSeconds));
        var control = Path.Combine(workDirectory, "utterances.fileids");
        await File.WriteAllLinesAsync(control, ids, ct);
        await SphinxTool.RunAsync("sphinx_fe", [
            "-argfile", Path.Combine(model, "feat.params"), "-samprate", SpeechDecoder.SampleRate.ToString(),
            "-c", control, "-di", cepstra, "-do", cepstra, "-ei", "raw", "-eo", "mfc", "-raw", "yes",
        ], ct);
        foreach (var id in ids) File.Delete(Path.Combine(cepstra, id + ".raw"));
        EndStep("features");

        // 2. The channel's mean cepstrum.
        var ceplen = featureParameters.TryGetValue("-ceplen", out var c) ? int.Parse(c) : 13;
        var channelMean = MeanCepstrum(ids.Select(id => Path.Combine(cepstra, id + ".mfc")), ceplen);
        var cmnFolder = Path.Combine(workDirectory, "cmn");
        Directory.CreateDirectory(cmnFolder);
        var adaptedFeatureParameters = Path.Combine(cmnFolder, AdaptedAcousticModel.FeatureParametersFile);
        AdaptedAcousticModel.WriteFeatureParameters(Path.Combine(model, "feat.params"), channelMean, adaptedFeatureParameters);
        EndStep("channel_mean");

        // 3. Alignment statistics.
        var inputs = Path.Combine(workDirectory, "model");
        Directory.CreateDirectory(inputs);
        var mdef = await TextModelDefinitionAsync(model, inputs, ct);
        var mixtureWeights = Path.Combine(model, "mixture_weights");
        if (!File.Exists(mixtureWeights))
        {
            mixtureWeights = Path.Combine(inputs, "mixture_weights");
            MixtureWeights.ReadSendump(Path.Combine(model, "sendump")).WriteSphinx3(mixtureWeights);
        }
        var words = Path.Combine(inputs, "words.dict");
        var transcription = Path.Combine(inputs, "utterances.transcription");
        WriteDictionaryAndTranscripts(utterances, ids, dictionary, words, transcription);
        var counts = Path.Combine(workDirectory, "counts");
        Directory.CreateDirectory(counts);
        var tiedStates = featureParameters.GetValueOrDefault("-model") switch
        {
            "ptm" => ".ptm.",
            "semi" => ".semi.",
            _ => ".cont.",
        };
        var bwArguments = new List<string>
        {
            "-moddeffn", mdef, "-ts2cbfn", tiedStates,
            "-meanfn", Path.Combine(model, "means"), "-varfn", Path.Combine(model, "variances"),
            "-mixwfn", mixtureWeights, "-tmatfn", Path.Combine(model, "transition_matrices"),
            "-dictfn", words, "-fdictfn", Path.Combine(model, "noisedict"),
            "-ctlfn", control, "-lsnfn", transcription, "-cepdir", cepstra, "-accumdir", counts,
        };
        // The front end as the model was trained with it (and as the decoder runs it).
        foreach (var name in new[] { "-feat", "-svspec", "-cmn", "-varnorm", "-agc", "-ceplen" })
            if (featureParameters.TryGetValue(name, out var value))
                bwArguments.AddRange([name, name == "-cmn" && value == "current" ? "batch" : value]);
        var bw = await SphinxTool.RunAsync(SphinxTool.SphinxTrain("bw"), bwArguments, ct);
        ThrowOnUnalignedUtterances(bw, ids, utterances);
        EndStep("alignment");

        // 4. MLLR.
        var mllrFolder = Path.Combine(workDirectory, "mllr");
        Directory.CreateDirectory(mllrFolder);
        await SphinxTool.RunAsync(SphinxTool.SphinxTrain("mllr_solve"), [
            "-meanfn", Path.Combine(model, "means"), "-varfn", Path.Combine(model, "variances"),
            "-outmllrfn", Path.Combine(mllrFolder, AdaptedAcousticModel.MllrFile), "-accumdir", counts,
        ], ct);
        File.Copy(adaptedFeatureParameters, Path.Combine(mllrFolder, AdaptedAcousticModel.FeatureParametersFile));
        EndStep("mllr");

        // 5. MAP.
        var mapFolder = Path.Combine(workDirectory, "map");
        Directory.CreateDirectory(mapFolder);
        var mapMixtureWeights = Path.Combine(inputs, "map_mixture_weights");
        await SphinxTool.RunAsync(SphinxTool.SphinxTrain("map_adapt"), [
            "-moddeffn", mdef, "-ts2cbfn", tiedStates,
            "-meanfn", Path.Combine(model, "means"), "-varfn", Path.Combine(model, "variances"),
            "-mixwfn", mixtureWeights, "-tmatfn", Path.Combine(model, "transition_matrices"),
            "-accumdir", counts,
            "-mapmeanfn", Path.Combine(mapFolder, "means"), "-mapvarfn", Path.Combine(mapFolder, "variances"),
            "-mapmixwfn", mapMixtureWeights, "-maptmatfn", Path.Combine(mapFolder, "transition_matrices"),
        ], ct);
        MixtureWeights.ReadSphinx3(mapMixtureWeights).WriteSendump(Path.Combine(mapFolder, "sendump"));
        File.Copy(adaptedFeatureParameters, Path.Combine(mapFolder, AdaptedAcousticModel.FeatureParametersFile));
        foreach (var file in new[] { "means", "variances", "transition_matrices", "sendump" })
        {
            var adapted = Path.Combine(mapFolder, file);
            var original = Path.Combine(model, file);
            if (File.Exists(original) && FilesEqual(adapted, original)) File.Delete(adapted);
        }
        EndStep("map");

        Directory.Delete(cepstra, recursive: true);
        Directory.Delete(counts, recursive: true);
        Directory.Delete(inputs, recursive: true);
        return new AcousticAdaptationResult(channelMean, cmnFolder, mllrFolder, mapFolder, steps);
    }

    /// <summary>sphinxtrain reads the model definition as text; pocketsphinx models ship it binary.</summary>
    static async Task<string> TextModelDefinitionAsync(string model, string inputs, CancellationToken ct)
    {
        var mdef = Path.Combine(model, "mdef");
        using (var reader = new StreamReader(mdef, Encoding.ASCII))
        {
            var first = new char[4];
            if (reader.ReadBlock(first) == 4 && new string(first) != "BMDF") return mdef;
        }
        var text = Path.Combine(inputs, "mdef.txt");
        await SphinxTool.RunAsync("pocketsphinx_mdef_convert", ["-text", mdef, text], ct);
        return text;
    }

    /// <summary>
    /// The transcripts as bw reads them ("&lt;s&gt; words &lt;/s&gt; (id)"), and a dictionary of
    /// just their words (with every pronunciation the model has for each).
    /// </summary>
    static void WriteDictionaryAndTranscripts(IReadOnlyList<AdaptationUtterance> utterances, List<string> ids,
        Func<string, IReadOnlyList<Pronunciation>> dictionary, string dictionaryPath, string transcriptionPath)
    {
        var pronunciations = new Dictionary<string, IReadOnlyList<Pronunciation>>(StringComparer.Ordinal);
        using var transcription = new StreamWriter(transcriptionPath, false, new UTF8Encoding(false));
        for (var i = 0; i < utterances.Count; i++)
        {
            var words = utterances[i].Transcript.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0)
                throw new AcousticAdaptationException($"the transcript of '{utterances[i].Label}' has no words");
            foreach (var word in words)
            {
                if (pronunciations.ContainsKey(word)) continue;
                var found = dictionary(word);
                if (found.Count == 0)
                    throw new AcousticAdaptationException(
                        $"the word \"{word}\" of the transcript of '{utterances[i].Label}' has no pronunciation");
                pronunciations[word] = found;
            }
            transcription.Write($"<s> {string.Join(' ', words)} </s> ({ids[i]})\n");
        }
        PronouncingDictionary.Write(dictionaryPath, pronunciations.OrderBy(p => p.Key, StringComparer.Ordinal).SelectMany(p => p.Value));
    }

    /// <summary>
    /// bw goes on past an utterance it cannot align ("Failed to align audio to transcript … u00003
    /// ignored") or cannot spell ("Skipped utterance"): statistics that silently miss a recording
    /// would hide a wrong transcript, so either is a failure that names the recording.
    /// </summary>
    static void ThrowOnUnalignedUtterances(ToolRun bw, List<string> ids, IReadOnlyList<AdaptationUtterance> utterances)
    {
        var index = ids.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i, StringComparer.Ordinal);
        foreach (var line in bw.Errors)
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length >= 2 && words[^1] == "ignored" && index.TryGetValue(words[^2], out var i))
                throw new AcousticAdaptationException(
                    $"the transcript of '{utterances[i].Label}' does not fit its audio: the aligner found no way to say its " +
                    $"{utterances[i].Transcript.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length} words in the recording " +
                    "(is it the transcript of another recording, or of only part of it?)");
        }
        if (bw.Warnings.FirstOrDefault(l => l.Contains("Skipped utterance", StringComparison.Ordinal)) is { } skipped)
            throw new AcousticAdaptationException($"bw could not spell a transcript: {skipped}");
    }

    /// <summary>The mean of every frame's cepstrum over the files (sphinx_fe's: an int32 count of floats, then the floats).</summary>
    internal static double[] MeanCepstrum(IEnumerable<string> cepstrumFiles, int ceplen)
    {
        var sum = new double[ceplen];
        long frames = 0;
        foreach (var file in cepstrumFiles)
        {
            var bytes = File.ReadAllBytes(file);
            if (bytes.Length < 4) continue;
            var count = BinaryPrimitives.ReadInt32LittleEndian(bytes);
            var bigEndian = (long)count * 4 + 4 != bytes.Length;
            if (bigEndian) count = BinaryPrimitives.ReadInt32BigEndian(bytes);
            if ((long)count * 4 + 4 != bytes.Length || count % ceplen != 0)
                throw new InvalidDataException($"{file}: not a cepstrum file of {ceplen} coefficients a frame");
            for (var i = 0; i < count; i++)
            {
                var bits = bigEndian
                    ? BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + i * 4))
                    : BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4 + i * 4));
                sum[i % ceplen] += BitConverter.Int32BitsToSingle(bits);
            }
            frames += count / ceplen;
        }
        if (frames == 0) throw new AcousticAdaptationException("the recordings have no audio frames to adapt to");
        return sum.Select(s => s / frames).ToArray();
    }

    static bool FilesEqual(string a, string b)
    {
        if (new FileInfo(a).Length != new FileInfo(b).Length) return false;
        return File.ReadAllBytes(a).AsSpan().SequenceEqual(File.ReadAllBytes(b));
    }
}
