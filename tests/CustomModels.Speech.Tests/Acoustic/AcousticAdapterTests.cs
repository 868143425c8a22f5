using CustomModels.Speech.Acoustic;
using CustomModels.Speech.Decoding;
using CustomModels.Speech.Lexicon;
using CustomModels.Speech.Scoring;
using CustomModels.Speech.Tests.Decoding;
using CustomModels.Speech.Text;
using Xunit.Abstractions;

namespace CustomModels.Speech.Tests.Acoustic;

/// <summary>
/// The cardiology corpus spoken by festival's kal diphone voice over an 8 kHz channel: a voice and a
/// channel far from the base model's training data. Adapted once to the 60 training sentences.
/// </summary>
public sealed class TelephoneVoiceAdaptation : IAsyncLifetime
{
    public string Audio { get; } = Path.Combine(Path.GetTempPath(), "custom-models-cardiology-kal8k");
    public DirectoryInfo Work { get; } = Directory.CreateTempSubdirectory("adaptation-");
    public AcousticAdaptationResult Result { get; private set; } = null!;
    public Func<string, IReadOnlyList<Pronunciation>> Dictionary { get; private set; } = null!;

    public static IEnumerable<string> Ids(string set, int count) => Enumerable.Range(1, count).Select(i => $"{set}_{i:00}");

    public AdaptationUtterance Utterance(string id) =>
        new(Path.Combine(Audio, id + ".wav"), TranscriptNormalizer.Normalize(File.ReadAllText(Path.Combine(Audio, id + ".txt"))), id + ".wav");

    public async Task InitializeAsync()
    {
        await CardiologyDomainTests.RunAsync(Path.Combine(CardiologyDomainTests.RepositoryRoot(), "scripts", "synthesize-cardiology.sh"), Audio, "kal8k");
        var settings = DecoderSettings.Default;
        var baseDictionary = PronouncingDictionary.Load(settings.DictionaryPath);
        var sentences = Ids("train", 60).Select(id => File.ReadAllText(Path.Combine(Audio, id + ".txt")));
        var lexicon = await LexiconBuilder.ExtendAsync(sentences, baseDictionary, [EspeakPronouncer.ForAcousticModel(settings.AcousticModelPath)]);
        var newWords = lexicon.NewWords.ToLookup(p => p.Word, StringComparer.OrdinalIgnoreCase);
        Dictionary = word => baseDictionary.Contains(word) ? baseDictionary.Lookup(word) : newWords[word].ToList();
        Result = await new AcousticAdapter(settings).AdaptAsync(Ids("train", 60).Select(Utterance).ToList(), Dictionary,
            Path.Combine(Work.FullName, "adapted"), CancellationToken.None);
    }

    public Task DisposeAsync()
    {
        Work.Delete(recursive: true);
        return Task.CompletedTask;
    }
}

public sealed class AcousticAdapterTests(TelephoneVoiceAdaptation adaptation, ITestOutputHelper output) : IClassFixture<TelephoneVoiceAdaptation>
{
    [Fact]
    public async Task Adapting_to_a_voice_lowers_the_word_errors_on_unseen_sentences_of_that_voice()
    {
        var settings = DecoderSettings.Default;
        var tests = TelephoneVoiceAdaptation.Ids("test", 15).ToList();
        async Task<double> WordErrorRate(DecoderSettings decoderSettings)
        {
            using var pool = DecoderPool.ForBaseModel(decoderSettings, maxDecoders: 2);
            var hypotheses = await Task.WhenAll(tests.Select(id => pool.DecodeFileAsync(Path.Combine(adaptation.Audio, id + ".wav"))));
            return ErrorCounts.Sum(tests.Select((id, i) =>
                ErrorRate.Words(File.ReadAllText(Path.Combine(adaptation.Audio, id + ".txt")), hypotheses[i].Text).Counts)).Rate;
        }
        var none = await WordErrorRate(settings);
        var mllr = await WordErrorRate(AdaptedAcousticModel.Apply(settings, adaptation.Result.MllrFolder));
        var map = await WordErrorRate(AdaptedAcousticModel.Apply(settings, adaptation.Result.MapFolder));
        output.WriteLine($"base language model; WER none {none:P1}, MLLR {mllr:P1}, MAP {map:P1}; steps " +
                         string.Join(", ", adaptation.Result.StepSeconds.Select(s => $"{s.Key} {s.Value:F1} s")));
        Assert.True(mllr < none, $"MLLR {mllr:P1} should beat no adaptation {none:P1}");
        Assert.True(map < mllr, $"MAP {map:P1} should beat MLLR {mllr:P1} on the voice it was adapted to");
        Assert.True(map <= none * 0.85, $"MAP {map:P1} should cut no adaptation's {none:P1} by at least 15%");
    }

    [Fact]
    public void The_adapted_models_keep_only_what_differs_from_the_base_model()
    {
        var result = adaptation.Result;
        Assert.Equal(["feat.params"], Directory.GetFiles(result.CmnFolder).Select(Path.GetFileName));
        Assert.Equal(["feat.params", "mllr_matrix"], Directory.GetFiles(result.MllrFolder).Select(Path.GetFileName).Order());
        Assert.Equal(["feat.params", "means", "sendump", "transition_matrices", "variances"],
            Directory.GetFiles(result.MapFolder).Select(Path.GetFileName).Order());
        // The channel's mean, where live CMN starts: pocketsphinx reads the model's feat.params
        // after its command line, so only the adapted feat.params can carry it.
        var cmninit = AdaptedAcousticModel.ReadFeatureParameters(Path.Combine(result.MapFolder, "feat.params")).Single(p => p.Key == "-cmninit").Value;
        Assert.Equal(13, cmninit.Split(',').Length);
        Assert.Equal(result.ChannelMean[0].ToString("0.00", System.Globalization.CultureInfo.InvariantCulture), cmninit.Split(',')[0]);
        Assert.Contains(AdaptedAcousticModel.ReadFeatureParameters(Path.Combine(result.MapFolder, "feat.params")), p => p.Key == "-upperf");
    }

    [Fact]
    public async Task A_transcript_of_another_recording_fails_with_a_message_naming_the_recording()
    {
        var utterances = TelephoneVoiceAdaptation.Ids("train", 4).Select(adaptation.Utterance).ToList();
        // train_03's audio with the words of the first ten sentences: far more speech than the recording holds.
        var tooLong = string.Join(' ', TelephoneVoiceAdaptation.Ids("train", 10).Select(id => adaptation.Utterance(id).Transcript));
        utterances[2] = utterances[2] with { Transcript = tooLong };
        var work = Path.Combine(adaptation.Work.FullName, "malformed");
        var failure = await Assert.ThrowsAsync<AcousticAdaptationException>(() =>
            new AcousticAdapter(DecoderSettings.Default).AdaptAsync(utterances, adaptation.Dictionary, work, CancellationToken.None));
        output.WriteLine(failure.Message);
        Assert.Contains("'train_03.wav'", failure.Message);
        Assert.Contains("does not fit its audio", failure.Message);
    }

    [Fact]
    public async Task Cancelling_while_bw_aligns_stops_it_at_once()
    {
        var utterances = TelephoneVoiceAdaptation.Ids("train", 60).Select(adaptation.Utterance).ToList();
        using var cancellation = new CancellationTokenSource();
        var work = Path.Combine(adaptation.Work.FullName, "cancelled");
        var adapting = new AcousticAdapter(DecoderSettings.Default).AdaptAsync(utterances, adaptation.Dictionary, work, cancellation.Token);
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (ChildProcesses("bw").Count == 0)
        {
            Assert.False(adapting.IsCompleted, "the adaptation ended before bw was seen running");
            Assert.True(DateTime.UtcNow < deadline, "bw never started");
            await Task.Delay(20);
        }
        cancellation.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => adapting);
        Assert.Empty(ChildProcesses("bw"));
        Assert.False(Directory.Exists(Path.Combine(work, "counts")) && Directory.EnumerateFiles(Path.Combine(work, "counts")).Any(),
            "bw wrote its statistics although it was cancelled");
    }

    /// <summary>Running processes of this name whose parent is this test process.</summary>
    static List<int> ChildProcesses(string name)
    {
        var self = Environment.ProcessId;
        var children = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid)) continue;
            try
            {
                // /proc/PID/stat: "pid (comm) state ppid …"
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var close = stat.LastIndexOf(')');
                var comm = stat[(stat.IndexOf('(') + 1)..close];
                var fields = stat[(close + 2)..].Split(' ');
                if (comm == name && fields[0] != "Z" && int.Parse(fields[1]) == self) children.Add(pid);
            }
            catch (IOException)
            {
                // The process ended while it was read.
            }
        }
        return children;
    }
}
