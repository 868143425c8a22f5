using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CustomModels.Speech.Decoding;
using CustomModels.Speech.Scoring;
using CustomModels.Speech.Tests.Decoding;
using CustomModels.Speech.Text;
using Xunit.Abstractions;

namespace CustomModels.Speech.Tests.Scoring;

/// <summary>
/// Our scoring against NIST sclite (SCTK, Debian package sctk) on the same references and
/// hypotheses: the 15 test sentences of the cardiology set decoded by the base model, and all 75
/// sentences of the set with words dropped, inserted, replaced, repeated and swapped at random (many equal-cost
/// alignments, where a tie broken another way than sclite's would show). The per-utterance S, D and
/// I must be sclite's exactly, and so the corpus figures.
/// </summary>
public sealed partial class ScliteAgreementTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_utterance_has_sclites_substitutions_deletions_and_insertions()
    {
        var repository = CardiologyDomainTests.RepositoryRoot();
        var audio = Path.Combine(Path.GetTempPath(), "custom-models-cardiology-audio");
        await CardiologyDomainTests.RunAsync(Path.Combine(repository, "scripts", "synthesize-cardiology.sh"), audio);
        string Reference(string name) => TranscriptNormalizer.Normalize(File.ReadAllText(Path.Combine(audio, name + ".txt")));
        var tests = Enumerable.Range(1, 15).Select(i => $"test_{i:00}").ToList();
        var references = Enumerable.Range(1, 60).Select(i => $"train_{i:00}").Concat(tests).Select(Reference).ToList();

        using var pool = DecoderPool.ForBaseModel(DecoderSettings.Default, maxDecoders: 2);
        var decoded = await Task.WhenAll(tests.Select(n => pool.DecodeFileAsync(Path.Combine(audio, n + ".wav"))));
        var pairs = tests.Select((n, i) => (Reference(n), TranscriptNormalizer.Normalize(decoded[i].Text))).ToList();
        var random = new Random(1234);
        var vocabulary = references.SelectMany(r => r.Split(' ')).Distinct().Order(StringComparer.Ordinal).ToArray();
        for (var round = 0; round < 8; round++)
            pairs.AddRange(references.Select(r => (r, Perturb(r, vocabulary, random))));

        var ours = pairs.Select(p => ErrorRate.Words(p.Item1, p.Item2).Counts).ToList();
        var sclite = await RunScliteAsync(pairs);

        var corpus = ErrorCounts.Sum(ours);
        output.WriteLine($"{pairs.Count} utterances, {corpus.ReferenceLength} reference words: S {corpus.Substitutions} D {corpus.Deletions} I {corpus.Insertions}, WER {corpus.Rate * 100:F2}%; sclite's summary: {sclite.Summary}");
        Assert.Equal(pairs.Count, sclite.Utterances.Count);
        for (var i = 0; i < pairs.Count; i++)
            Assert.True(ours[i] == sclite.Utterances[i],
                $"utterance {i}: ours {ours[i]}, sclite {sclite.Utterances[i]}\n  ref: {pairs[i].Item1}\n  hyp: {pairs[i].Item2}");
        var theirs = ErrorCounts.Sum(sclite.Utterances);
        Assert.Equal(theirs.Rate * 100, corpus.Rate * 100, 0.01);
        Assert.Equal((double)theirs.Substitutions / theirs.ReferenceLength * 100, (double)corpus.Substitutions / corpus.ReferenceLength * 100, 0.01);
        Assert.Equal((double)theirs.Deletions / theirs.ReferenceLength * 100, (double)corpus.Deletions / corpus.ReferenceLength * 100, 0.01);
        Assert.Equal((double)theirs.Insertions / theirs.ReferenceLength * 100, (double)corpus.Insertions / corpus.ReferenceLength * 100, 0.01);
        // sclite's own summary line, printed to one decimal, against ours rounded the same way.
        Assert.Equal(sclite.Summary, string.Create(CultureInfo.InvariantCulture,
            $"{corpus.Substitutions * 100.0 / corpus.ReferenceLength:F1} {corpus.Deletions * 100.0 / corpus.ReferenceLength:F1} {corpus.Insertions * 100.0 / corpus.ReferenceLength:F1} {corpus.Rate * 100:F1}"));
        Assert.True(corpus.Substitutions > 100 && corpus.Deletions > 100 && corpus.Insertions > 100, "the set should exercise every kind of error");
    }

    /// <summary>The sentence with about one word in five changed.</summary>
    static string Perturb(string reference, string[] vocabulary, Random random)
    {
        var words = reference.Split(' ').ToList();
        for (var k = 0; k < Math.Max(1, words.Count / 5); k++)
        {
            var at = random.Next(words.Count);
            switch (random.Next(5))
            {
                case 0 when words.Count > 1: words.RemoveAt(at); break;
                case 1: words.Insert(at, vocabulary[random.Next(vocabulary.Length)]); break;
                case 2: words[at] = vocabulary[random.Next(vocabulary.Length)]; break;
                case 3: words.Insert(at, words[at]); break;
                default:
                    if (at + 1 < words.Count) (words[at], words[at + 1]) = (words[at + 1], words[at]);
                    break;
            }
        }
        return string.Join(' ', words);
    }

    sealed record ScliteResult(List<ErrorCounts> Utterances, string Summary);

    /// <summary>sclite on trn files of the pairs: each utterance's counts (its pra report) and the corpus summary's Sub, Del, Ins and Err.</summary>
    static async Task<ScliteResult> RunScliteAsync(List<(string Reference, string Hypothesis)> pairs)
    {
        var work = Directory.CreateTempSubdirectory("sclite-");
        try
        {
            string Trn(Func<(string, string), string> text) =>
                string.Concat(pairs.Select((p, i) => $"{text(p)} (utt_{i:00000})\n"));
            await File.WriteAllTextAsync(Path.Combine(work.FullName, "ref.trn"), Trn(p => p.Item1), new UTF8Encoding(false));
            await File.WriteAllTextAsync(Path.Combine(work.FullName, "hyp.trn"), Trn(p => p.Item2), new UTF8Encoding(false));
            var startInfo = new ProcessStartInfo("sctk") { WorkingDirectory = work.FullName, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in "sclite -r ref.trn trn -h hyp.trn trn -i spu_id -o sum pra stdout".Split(' '))
                startInfo.ArgumentList.Add(argument);
            using var process = Process.Start(startInfo)
                ?? throw new InvalidOperationException("sclite did not start: run scripts/install-deps.sh (Debian package sctk)");
            var stderr = process.StandardError.ReadToEndAsync();
            var report = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, $"sclite failed: {await stderr}");

            var counts = new SortedDictionary<string, ErrorCounts>(StringComparer.Ordinal);
            foreach (Match m in UtteranceScores().Matches(report))
            {
                int Group(string name) => int.Parse(m.Groups[name].Value, CultureInfo.InvariantCulture);
                counts[m.Groups["id"].Value] = new ErrorCounts(Group("s"), Group("d"), Group("i"), Group("c") + Group("s") + Group("d"));
            }
            var summary = SummaryLine().Match(report);
            Assert.True(summary.Success, "sclite's summary line not found:\n" + report[..Math.Min(report.Length, 2000)]);
            return new ScliteResult(counts.Values.ToList(),
                $"{summary.Groups["sub"].Value} {summary.Groups["del"].Value} {summary.Groups["ins"].Value} {summary.Groups["err"].Value}");
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    [GeneratedRegex(@"id: \((?<id>[^)]+)\)\s*\nScores: \(#C #S #D #I\) (?<c>\d+) (?<s>\d+) (?<d>\d+) (?<i>\d+)")]
    private static partial Regex UtteranceScores();

    [GeneratedRegex(@"\| Sum/Avg\|\s*\d+\s+\d+ \|\s*[\d.]+\s+(?<sub>[\d.]+)\s+(?<del>[\d.]+)\s+(?<ins>[\d.]+)\s+(?<err>[\d.]+)")]
    private static partial Regex SummaryLine();
}
