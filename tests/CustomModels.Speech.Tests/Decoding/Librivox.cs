namespace CustomModels.Speech.Tests.Decoding;

/// <summary>The five read sentences of Debian's pocketsphinx-testdata, with their transcripts.</summary>
internal static class Librivox
{
    public const string Directory = "/usr/share/pocketsphinx/test/data/librivox";

    public static IReadOnlyList<string> UtteranceIds =>
        File.ReadAllLines(Path.Combine(Directory, "fileids")).Where(line => line.Length > 0).ToList();

    public static string WavPath(string id) => Path.Combine(Directory, id + ".wav");

    /// <summary>Reference transcripts by utterance id ("&lt;s&gt; words &lt;/s&gt; (id)").</summary>
    public static IReadOnlyDictionary<string, string> References() =>
        File.ReadAllLines(Path.Combine(Directory, "transcription"))
            .Where(line => line.Contains('('))
            .ToDictionary(
                line => line[(line.LastIndexOf('(') + 1)..line.LastIndexOf(')')],
                line => line[..line.LastIndexOf('(')].Replace("<s>", "").Replace("</s>", "").Trim());
}
