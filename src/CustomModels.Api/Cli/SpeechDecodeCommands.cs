using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using CustomModels.Core.Data;
using CustomModels.Core.Training;
using CustomModels.Speech.Acoustic;
using CustomModels.Speech.Audio;
using CustomModels.Speech.Decoding;
using CustomModels.Speech.Keyterms;
using CustomModels.Speech.Lexicon;
using CustomModels.Speech.Text;

namespace CustomModels.Api.Cli;

/// <summary>`lexicon extend`, `acoustic adapt`, `decode`: the audio-side stages of the speech engine.</summary>
public static class SpeechDecodeCommands
{
    public static IEnumerable<Command> Build() => [BuildLexicon(), BuildAcoustic(), BuildDecode()];

    private static Command BuildAcoustic()
    {
        var output = new Option<string>("--output") { Description = "Folder to write the adapted models to (cmn/, mllr/, map/)", Required = true };
        var audio = new Argument<string[]>("audio")
        {
            Description = "Recordings to adapt to, each with its transcript beside it (visit_01.wav and visit_01.txt)", Arity = ArgumentArity.OneOrMore,
        };
        var adapt = new Command("adapt", "Adapt the base acoustic model to recordings as training does (features, bw, MLLR, MAP); prints each step's seconds")
        {
            output, audio,
        };
        adapt.SetAction(async (parseResult, cancellationToken) =>
        {
            var settings = DecoderSettings.Default;
            var files = parseResult.GetValue(audio)!;
            var utterances = files.Select(file => new AdaptationUtterance(file,
                TranscriptNormalizer.Normalize(File.ReadAllText(Path.ChangeExtension(file, ".txt"))), Path.GetFileName(file))).ToList();
            var baseDictionary = PronouncingDictionary.Load(settings.DictionaryPath);
            var lexicon = await LexiconBuilder.ExtendAsync(utterances.Select(u => u.Transcript), baseDictionary,
                [EspeakPronouncer.ForAcousticModel(settings.AcousticModelPath)], cancellationToken);
            var newWords = lexicon.NewWords.ToLookup(p => p.Word, StringComparer.OrdinalIgnoreCase);
            try
            {
                var result = await new AcousticAdapter(settings).AdaptAsync(utterances,
                    word => baseDictionary.Contains(word) ? baseDictionary.Lookup(word) : newWords[word].ToList(),
                    parseResult.GetValue(output)!, cancellationToken);
                foreach (var (step, seconds) in result.StepSeconds) Console.WriteLine(FormattableString.Invariant($"{step}\t{seconds:F3}"));
                return 0;
            }
            catch (AcousticAdaptationException e)
            {
                Console.Error.WriteLine(e.Message);
                return 1;
            }
        });
        return new Command("acoustic", "Acoustic model adaptation") { adapt };
    }

    private static Command BuildLexicon()
    {
        var input = new Option<string>("--input") { Description = "Training text, one sentence a line", Required = true };
        var output = new Option<string>("--output") { Description = "Dictionary file to write the new words to", Required = true };
        var extend = new Command("extend", "Write pronunciations (from espeak-ng) of the text's words that the base dictionary lacks")
        {
            input, output,
        };
        extend.SetAction(async (parseResult, cancellationToken) =>
        {
            var settings = DecoderSettings.Default;
            var extension = await LexiconBuilder.ExtendFileAsync(parseResult.GetValue(input)!, parseResult.GetValue(output)!,
                PronouncingDictionary.Load(settings.DictionaryPath), [EspeakPronouncer.ForAcousticModel(settings.AcousticModelPath)],
                cancellationToken);
            Console.WriteLine($"{extension.NewWords.Count} new words written to {parseResult.GetValue(output)}");
            if (extension.Unpronounceable.Count > 0)
                Console.Error.WriteLine($"no pronunciation for {extension.Unpronounceable.Count} words: {string.Join(' ', extension.Unpronounceable)}");
            return 0;
        });
        return new Command("lexicon", "Pronunciation dictionaries") { extend };
    }

    private static Command BuildDecode()
    {
        var lm = new Option<string?>("--lm") { Description = "Domain language model (ARPA) to interpolate with the base model" };
        var dict = new Option<string?>("--dict") { Description = "Pronunciations of the domain words (from `lexicon extend`)" };
        var weight = new Option<double?>("--weight") { Description = "Weight of the domain model, 0..1 (P = (1-w)·P_base + w·P_domain)" };
        var text = new Option<string?>("--text")
        {
            Description = "The training text the --lm model was estimated from: without --weight, the weight is the candidate " +
                          "0.1..0.9 of lowest perplexity in 5-fold cross-validation on this text (trigram Kneser-Ney per fold)",
        };
        var keyterms = new Option<string?>("--keyterms")
        {
            Description = "A file of keyterms to favour (one a line, or a JSON array), as /stt's keyterms field takes them",
        };
        var keytermWeight = new Option<double>("--keyterm-weight")
        {
            Description = "Weight of the keyterms' term model, 0..1", DefaultValueFactory = _ => KeytermBias.DefaultWeight,
        };
        var threads = new Option<int>("--threads") { Description = "Decoders working in parallel", DefaultValueFactory = _ => 1 };
        var acoustic = new Option<string?>("--acoustic") { Description = "An adapted acoustic model's folder (from `acoustic adapt`: its cmn/, mllr/ or map/)" };
        var showSettings = new Option<bool>("--show-settings")
        {
            Description = "Print the base model's pocketsphinx arguments, one a line, as pocketsphinx_batch takes them, and exit",
        };
        var audio = new Argument<string[]>("audio") { Description = "Audio files in any format ffmpeg reads", Arity = ArgumentArity.ZeroOrMore };
        var decode = new Command("decode", "Transcribe audio files with the base model or a custom one; prints name<TAB>hypothesis")
        {
            lm, dict, weight, text, keyterms, keytermWeight, threads, acoustic, showSettings, audio,
        };
        decode.SetAction(async (parseResult, cancellationToken) =>
        {
            var settings = parseResult.GetValue(acoustic) is { } adapted
                ? AdaptedAcousticModel.Apply(DecoderSettings.Default, adapted)
                : DecoderSettings.Default;
            if (parseResult.GetValue(showSettings))
            {
                foreach (var argument in settings.ToPocketSphinxArguments()) Console.WriteLine(argument);
                return 0;
            }
            var files = parseResult.GetValue(audio)!;
            if (files.Length == 0)
            {
                Console.Error.WriteLine("decode needs at least one audio file");
                return 2;
            }
            var threadCount = Math.Max(1, parseResult.GetValue(threads));
            CustomLanguageModel? custom = null;
            if (parseResult.GetValue(lm) is { } arpaPath)
            {
                var domainWeight = parseResult.GetValue(weight);
                if (domainWeight is null)
                {
                    if (parseResult.GetValue(text) is not { } textPath)
                    {
                        Console.Error.WriteLine("--lm needs --weight, or --text (the training text) to choose the weight on");
                        return 2;
                    }
                    var choice = InterpolationWeight.ChooseByCrossValidation(settings, File.ReadAllLines(textPath));
                    Console.Error.WriteLine($"weight {choice.Weight.ToString(CultureInfo.InvariantCulture)} (perplexity " +
                        string.Join(", ", choice.Candidates.Select(c => FormattableString.Invariant($"{c.Weight}: {c.Perplexity:F1}"))) + ")");
                    domainWeight = choice.Weight;
                }
                custom = new CustomLanguageModel(arpaPath, parseResult.GetValue(dict), domainWeight.Value);
            }
            KeytermBias? bias = null;
            var termArpaPath = Path.Combine(Path.GetTempPath(), $"keyterms-{Guid.NewGuid():N}.arpa");
            if (parseResult.GetValue(keyterms) is { } keytermsPath)
            {
                if (!KeytermList.TryParse(await File.ReadAllTextAsync(keytermsPath, cancellationToken), out var terms, out var error))
                {
                    Console.Error.WriteLine($"{keytermsPath}: {error}");
                    return 2;
                }
                var (outcomes, checkSeconds, warmCheckSeconds) = await CheckKeytermsAsync(settings, terms, cancellationToken);
                bias = KeytermBias.Write(outcomes, termArpaPath, parseResult.GetValue(keytermWeight));
                foreach (var rejected in outcomes.Where(o => !o.Applied)) Console.Error.WriteLine($"keyterm \"{rejected.Term}\" rejected: {rejected.RejectedBecause}");
                Console.Error.WriteLine(FormattableString.Invariant(
                    $"{outcomes.Count(o => o.Applied)} of {outcomes.Count} keyterms applied, {bias?.NewWords.DistinctBy(p => p.Word).Count() ?? 0} new words given {bias?.NewWords.Count ?? 0} pronunciations; keyterms checked in {checkSeconds:F2} s, {warmCheckSeconds:F2} s warm (as /stt does when the audio is sent: the first time in a process, then the fastest of 5 more)"));
            }
            var pool = bias is not null ? DecoderPool.ForKeyterms(settings, custom, threadCount)
                : custom is not null ? DecoderPool.ForCustomModel(settings, custom, threadCount)
                : DecoderPool.ForBaseModel(settings, threadCount);

            using (pool)
            {
                var load = Stopwatch.StartNew();
                await pool.WarmUpAsync(cancellationToken);
                load.Stop();
                // What was read before (the dictionary and the G2P model, for keyterms) is collected
                // now rather than by the collector's threads while the decoding is timed.
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
                var cpuBefore = CpuSeconds();
                var decoding = Stopwatch.StartNew();
                var transcripts = files.Select(file => pool.DecodeFileAsync(file, cancellationToken, keyterms: bias)).ToList();
                var exitCode = 0;
                double audioSeconds = 0;
                for (var i = 0; i < files.Length; i++)
                {
                    try
                    {
                        var transcript = await transcripts[i];
                        audioSeconds += transcript.AudioSeconds;
                        Console.WriteLine($"{Path.GetFileNameWithoutExtension(files[i])}\t{transcript.Text}");
                    }
                    catch (Exception e) when (e is AudioDecodeException or DecoderException or FileNotFoundException)
                    {
                        Console.Error.WriteLine($"{Path.GetFileName(files[i])}: {e.Message}");
                        exitCode = 1;
                    }
                }
                decoding.Stop();
                var cpu = CpuSeconds() - cpuBefore;
                var seconds = decoding.Elapsed.TotalSeconds;
                if (audioSeconds > 0)
                    Console.Error.WriteLine(FormattableString.Invariant(
                        $"decoded {audioSeconds:F2} s of audio in {seconds:F2} s with {threadCount} thread(s): {audioSeconds / seconds:F2} s of audio per second, real-time factor {seconds / audioSeconds:F3}, CPU {cpu:F2} s (decoders built in {load.Elapsed.TotalSeconds:F2} s, not counted)"));
                File.Delete(termArpaPath);
                return exitCode;
            }
        });
        return decode;
    }

    /// <summary>
    /// The keyterms checked as /stt checks them, with the service's pronouncers: the G2P model
    /// (trained on first use, cached in the data folder or CUSTOMMODELS_G2P_CACHE_DIR), espeak-ng for
    /// what it cannot spell. The dictionary and the model are dropped on return.
    /// </summary>
    /// <remarks>
    /// The first check in a process runs the pronouncer's code as first compiled; the fastest of
    /// <see cref="WarmKeytermChecks"/> more, once the runtime has compiled it fully (after 0.35 s, then
    /// 0.39, 0.28, 0.27, 0.19 s for 100 medical terms), is what a service that has served a few
    /// requests takes for words it has not pronounced before (words it has are remembered, see
    /// <see cref="CustomModels.Core.Transcriptions.Keyterms"/>).
    /// </remarks>
    private const int WarmKeytermChecks = 5;

    private static async Task<(IReadOnlyList<KeytermOutcome> Outcomes, double Seconds, double WarmSeconds)> CheckKeytermsAsync(
        DecoderSettings settings, IReadOnlyList<string> terms, CancellationToken cancellationToken)
    {
        var dictionary = PronouncingDictionary.Load(settings.DictionaryPath);
        var pronouncers = await new Pronouncers(StorageSettings.FromEnvironment(), NullLogger<Pronouncers>.Instance)
            .ForAsync(settings, dictionary, cancellationToken);
        var checking = Stopwatch.StartNew();
        var outcomes = await KeytermList.CheckAsync(terms, dictionary, pronouncers, cancellationToken);
        var first = checking.Elapsed.TotalSeconds;
        var warm = double.MaxValue;
        for (var i = 0; i < WarmKeytermChecks; i++)
        {
            checking.Restart();
            await KeytermList.CheckAsync(terms, dictionary, pronouncers, cancellationToken);
            warm = Math.Min(warm, checking.Elapsed.TotalSeconds);
        }
        return (outcomes, first, warm);
    }

    /// <summary>
    /// CPU time of this process and of the children it has waited for (ffmpeg), in seconds: on a
    /// busy machine a fairer measure of the work done than wall time.
    /// </summary>
    private static double CpuSeconds()
    {
        var own = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        try
        {
            // /proc/self/stat: "pid (comm) state ..." — cutime and cstime are fields 16 and 17, in clock ticks (100 a second).
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return own + (long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture)) / 100.0;
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            return own;
        }
    }
}
