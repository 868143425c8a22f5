using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using CustomModels.Speech.LanguageModel;
using CustomModels.Speech.Scoring;
using CustomModels.Speech.Text;

namespace CustomModels.Api.Cli;

/// <summary>`lm build`, `lm perplexity`, `score`, `text normalize`: the text-side stages of the speech engine.</summary>
public static class SpeechLmCommands
{
    /// <summary>Exit code for input the command cannot use (missing file, bad encoding, malformed model).</summary>
    private const int BadInput = 2;

    public static IEnumerable<Command> Build() => [BuildLanguageModel(), BuildScore(), BuildText()];

    private static Command BuildLanguageModel()
    {
        var order = new Option<int>("--order")
        {
            Description = $"N-gram order, {KneserNeyEstimator.MinOrder} to {KneserNeyEstimator.MaxOrder}",
            DefaultValueFactory = _ => KneserNeyEstimator.DefaultOrder,
        };
        var input = new Option<string>("--input") { Description = "Training text (UTF-8), one sentence a line", Required = true };
        var output = new Option<string>("--output") { Description = "ARPA file to write", Required = true };
        var timings = new Option<bool>("--timings") { Description = "Also print the wall time of each stage (reading and counting, adjusting, ..., writing)" };
        var memory = new Option<int>("--memory-mb")
        {
            Description = "Memory for counting n-grams; beyond it sorted runs are spilled next to the output file and merged (the model is the same)",
            DefaultValueFactory = _ => EstimationOptions.DefaultMemoryBudgetMegabytes,
        };
        var maxNGrams = new Option<long>("--max-ngrams")
        {
            Description = "The most n-grams the model may have: beyond it, the n-grams of order 2 and up seen fewer than k times are pruned, " +
                          "k the smallest that fits (the limit training uses by default; 0: never prune)",
            DefaultValueFactory = _ => EstimationOptions.DecoderNGramLimit,
        };
        var build = new Command("build", "Estimate an interpolated modified Kneser-Ney n-gram model and write it as ARPA")
        {
            order, input, output, timings, memory, maxNGrams,
        };
        build.SetAction((parseResult, _) => Run(() =>
        {
            var n = parseResult.GetValue(order);
            if (n is < KneserNeyEstimator.MinOrder or > KneserNeyEstimator.MaxOrder)
                throw new InvalidDataException($"--order must be from {KneserNeyEstimator.MinOrder} to {KneserNeyEstimator.MaxOrder}, not {n}");
            var inputPath = parseResult.GetValue(input)!;
            var outputPath = parseResult.GetValue(output)!;
            var memoryMegabytes = parseResult.GetValue(memory);
            if (memoryMegabytes < 1) throw new InvalidDataException($"--memory-mb must be at least 1, not {memoryMegabytes}");
            var limit = parseResult.GetValue(maxNGrams);
            if (limit < 0) throw new InvalidDataException($"--max-ngrams must be 0 or more, not {limit}");
            var options = new EstimationOptions
            {
                MemoryBudgetBytes = memoryMegabytes * (1L << 20),
                TemporaryDirectory = Path.GetDirectoryName(Path.GetFullPath(outputPath)),
                NGramLimit = limit == 0 ? long.MaxValue : limit,
            };

            var stopwatch = Stopwatch.StartNew();
            LanguageModelEstimate estimate;
            // Written order by order as it is estimated (the model is never held whole), into a
            // file of its own that takes the output's name only once it is complete.
            var partialPath = outputPath + ".partial";
            try
            {
                using (var text = new FileStream(RequireFile(inputPath), FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan))
                using (var arpa = new FileStream(partialPath, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
                    estimate = KneserNeyEstimator.EstimateToArpa(text, n, options, arpa);
                File.Move(partialPath, outputPath, overwrite: true);
            }
            finally
            {
                File.Delete(partialPath);
            }
            stopwatch.Stop();

            for (var i = 0; i < estimate.Discounts.Count; i++)
            {
                if (!estimate.Discounts[i].IsFallback) continue;
                var c = estimate.CountsOfCounts[i];
                Console.Error.WriteLine($"warning: the {i + 1}-gram counts of counts ({c.N1} {c.N2} {c.N3} {c.N4}) give no usable discounts " +
                                        "(too little or too repetitive text); used D1=0.5 D2=1 D3+=1.5");
            }
            var counts = string.Join(' ', Enumerable.Range(1, n).Select(k => $"{k}-grams={estimate.NGramCounts[k - 1]}"));
            var spilled = estimate.SpilledRuns > 0 ? $" ({estimate.SpilledRuns} sorted runs spilled to disk)" : "";
            var pruned = estimate.PrunedBelow > 1 ? $" (n-grams seen fewer than {estimate.PrunedBelow} times pruned to fit {limit})" : "";
            Console.WriteLine(Invariant($"{outputPath}: {counts}{pruned} from {estimate.Sentences} sentences, {estimate.Words} words in {stopwatch.Elapsed.TotalSeconds:F2} s{spilled}"));
            if (parseResult.GetValue(timings))
            {
                Console.WriteLine("stages (s): " + string.Join(", ", estimate.StageTimes.Select(s => Invariant($"{s.Stage} {s.Elapsed.TotalSeconds:F3}"))));
            }
        }));

        var model = new Option<string>("--model") { Description = "ARPA language model", Required = true };
        var text = new Option<string>("--input") { Description = "Text (UTF-8) to score, one sentence a line", Required = true };
        var perplexity = new Command("perplexity", "Perplexity of a text under a model (as KenLM's query reports it)")
        {
            model, text,
        };
        perplexity.SetAction((parseResult, _) => Run(() =>
        {
            var languageModel = ArpaReader.Read(RequireFile(parseResult.GetValue(model)!));
            var result = Perplexity.Measure(languageModel, TranscriptNormalizer.ReadLines(RequireFile(parseResult.GetValue(text)!)));
            Console.WriteLine(Invariant($"Perplexity including OOVs:\t{result.IncludingOovs}"));
            Console.WriteLine(Invariant($"Perplexity excluding OOVs:\t{result.ExcludingOovs}"));
            Console.WriteLine($"OOVs:\t{result.Oovs}");
            Console.WriteLine($"Tokens:\t{result.Tokens}");
            Console.WriteLine($"Sentences:\t{result.Sentences}");
            Console.WriteLine($"Words:\t{result.Words}");
        }));

        return new Command("lm", "N-gram language models") { build, perplexity };
    }

    private static Command BuildScore()
    {
        var reference = new Option<string>("--ref") { Description = "Reference transcripts (UTF-8), one utterance a line", Required = true };
        var hypothesis = new Option<string>("--hyp") { Description = "Recognized text, line by line with --ref", Required = true };
        var score = new Command("score", "Word and character error rates of line-aligned reference and hypothesis files")
        {
            reference, hypothesis,
        };
        score.SetAction((parseResult, _) => Run(() =>
        {
            var referencePath = parseResult.GetValue(reference)!;
            var hypothesisPath = parseResult.GetValue(hypothesis)!;
            var references = TranscriptNormalizer.ReadLines(RequireFile(referencePath)).ToList();
            var hypotheses = TranscriptNormalizer.ReadLines(RequireFile(hypothesisPath)).ToList();
            if (references.Count != hypotheses.Count)
                throw new InvalidDataException($"{referencePath} has {references.Count} lines but {hypothesisPath} has {hypotheses.Count}; they must be line-aligned");

            var words = ErrorCounts.Sum(references.Zip(hypotheses, (r, h) => ErrorRate.Words(r, h).Counts));
            var characters = ErrorCounts.Sum(references.Zip(hypotheses, (r, h) => ErrorRate.Characters(r, h).Counts));
            Console.WriteLine(Format("WER", words));
            Console.WriteLine(Format("CER", characters));
        }));
        return score;
    }

    private static Command BuildText()
    {
        var input = new Option<string>("--input") { Description = "Text (UTF-8)", Required = true };
        var normalize = new Command("normalize", "Print each line as training and scoring see it (one output line per input line)")
        {
            input,
        };
        normalize.SetAction((parseResult, _) => Run(() =>
        {
            using var output = new StreamWriter(Console.OpenStandardOutput(), bufferSize: 1 << 16) { NewLine = "\n" };
            foreach (var line in TranscriptNormalizer.ReadLines(RequireFile(parseResult.GetValue(input)!)))
                output.WriteLine(TranscriptNormalizer.Normalize(line));
        }));
        return new Command("text", "Transcript text") { normalize };
    }

    private static string Format(string name, ErrorCounts counts) =>
        Invariant($"{name} {counts.Rate * 100:F1}% (S={counts.Substitutions} D={counts.Deletions} I={counts.Insertions} N={counts.ReferenceLength})");

    /// <summary>Runs a command body; input it cannot use is a message on stderr and exit code 2, not a stack trace.</summary>
    private static Task<int> Run(Action body)
    {
        try
        {
            body();
            return Task.FromResult(0);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException
                                      or TranscriptEncodingException or ArpaFormatException or InvalidDataException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return Task.FromResult(BadInput);
        }
    }

    private static string RequireFile(string path) =>
        File.Exists(path) ? path : throw new FileNotFoundException($"{path}: no such file");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
