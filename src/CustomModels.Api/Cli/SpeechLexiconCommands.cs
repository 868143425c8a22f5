using System.CommandLine;
using System.Diagnostics;
using CustomModels.Speech.Decoding;
using CustomModels.Speech.Lexicon;
using static System.FormattableString;

namespace CustomModels.Api.Cli;

/// <summary>`g2p evaluate`, `g2p pronounce`: the grapheme-to-phoneme model that pronounces new words.</summary>
public static class SpeechLexiconCommands
{
    public static IEnumerable<Command> Build() => [BuildG2p()];

    private static Command BuildG2p()
    {
        var dictionaryOption = new Option<string>("--dict")
        {
            Description = "Pronouncing dictionary to train on", DefaultValueFactory = _ => DecoderSettings.Default.DictionaryPath,
        };
        var heldOutOption = new Option<int>("--held-out") { Description = "Words held out of training and scored", DefaultValueFactory = _ => 2000 };
        var evaluate = new Command("evaluate",
            "Train on the dictionary without N held-out words; print word accuracy and phone error rate on those words, ours beside espeak-ng's")
        {
            dictionaryOption, heldOutOption,
        };
        evaluate.SetAction(async (parseResult, cancellationToken) =>
        {
            var dictionary = PronouncingDictionary.Load(parseResult.GetValue(dictionaryOption)!);
            var (training, heldOut) = PronunciationAccuracy.Split(dictionary, parseResult.GetValue(heldOutOption));
            Console.WriteLine($"{dictionary.WordCount} words; training on {training.Count} pronunciations, scoring {heldOut.Count} held-out words");

            var stopwatch = Stopwatch.StartNew();
            var g2p = GraphonePronouncer.Train(training);
            var trainSeconds = stopwatch.Elapsed.TotalSeconds;
            stopwatch.Restart();
            var ours = await g2p.PronounceAsync(heldOut.Keys, cancellationToken);
            var pronounceSeconds = stopwatch.Elapsed.TotalSeconds;
            Console.WriteLine(Invariant($"g2p (joint-sequence, order {GraphonePronouncer.Order}): trained in {trainSeconds:F1} s, pronounced {heldOut.Count} words in {pronounceSeconds:F1} s"));

            stopwatch.Restart();
            var espeak = await EspeakPronouncer.ForAcousticModel(DecoderSettings.Default.AcousticModelPath).PronounceAsync(heldOut.Keys, cancellationToken);
            var espeakSeconds = stopwatch.Elapsed.TotalSeconds;
            Console.WriteLine(Invariant($"espeak-ng mapping: pronounced {heldOut.Count} words in {espeakSeconds:F1} s"));

            Console.WriteLine($"{"pronouncer",-12} {"words",6} {"word accuracy",14} {"phone error rate",17} {"unpronounced",13}");
            foreach (var (name, pronounced) in new[] { ("g2p", ours), ("espeak-ng", espeak) })
            {
                var accuracy = PronunciationAccuracy.Measure(heldOut, pronounced);
                Console.WriteLine(Invariant($"{name,-12} {accuracy.Words,6} {accuracy.WordAccuracy * 100,13:F1}% {accuracy.PhoneErrorRate * 100,16:F1}% {accuracy.Unpronounced,13}"));
            }
            return 0;
        });

        var modelOption = new Option<string?>("--model") { Description = "A trained model (ARPA of graphones); without it, one is trained on --dict" };
        var wordsArgument = new Argument<string[]>("words") { Arity = ArgumentArity.OneOrMore };
        var pronounce = new Command("pronounce", "Print up to three pronunciations of each word with their posteriors")
        {
            dictionaryOption, modelOption, wordsArgument,
        };
        pronounce.SetAction(parseResult =>
        {
            var g2p = parseResult.GetValue(modelOption) is { } modelPath
                ? GraphonePronouncer.Load(modelPath)
                : GraphonePronouncer.Train(PronouncingDictionary.Load(parseResult.GetValue(dictionaryOption)!).Entries.ToList());
            foreach (var word in parseResult.GetValue(wordsArgument)!)
            foreach (var variant in g2p.Pronounce(word))
                Console.WriteLine(Invariant($"{word}\t{string.Join(' ', variant.Phones)}\t{variant.Posterior:F3}"));
            return 0;
        });
        return new Command("g2p", "Grapheme-to-phoneme model trained on a pronouncing dictionary") { evaluate, pronounce };
    }
}
