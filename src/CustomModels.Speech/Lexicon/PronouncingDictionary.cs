using System.Collections.Concurrent;
using System.Text;

namespace CustomModels.Speech.Lexicon;

/// <summary>A word and one way to say it, in the acoustic model's phones.</summary>
public sealed record Pronunciation(string Word, IReadOnlyList<string> Phones)
{
    public override string ToString() => $"{Word} {string.Join(' ', Phones)}";
}

/// <summary>
/// A pocketsphinx dictionary (the CMU format): one "word PH PH …" per line, further
/// pronunciations of a word as "word(2) …". Words compare case-insensitively.
/// </summary>
public sealed class PronouncingDictionary
{
    private readonly Dictionary<string, List<Pronunciation>> _byWord;

    private PronouncingDictionary(Dictionary<string, List<Pronunciation>> byWord) => _byWord = byWord;

    public int WordCount => _byWord.Count;

    /// <summary>Every pronunciation, the first of each word before its alternates.</summary>
    public IEnumerable<Pronunciation> Entries => _byWord.Values.SelectMany(list => list);

    public bool Contains(string word) => _byWord.ContainsKey(word);

    public IReadOnlyList<Pronunciation> Lookup(string word) =>
        _byWord.TryGetValue(word, out var list) ? list : [];

    private static readonly ConcurrentDictionary<string, Lazy<PronouncingDictionary>> Shared = new();

    /// <summary>
    /// The dictionary at <paramref name="path"/>, read once per process: the base dictionary's
    /// 134,000 words are looked up by every keyterm check and every keyterm decoder.
    /// </summary>
    public static PronouncingDictionary LoadShared(string path) =>
        Shared.GetOrAdd(Path.GetFullPath(path), fullPath => new(() => Load(fullPath))).Value;

    public static PronouncingDictionary Load(string path)
    {
        var byWord = new Dictionary<string, List<Pronunciation>>(StringComparer.OrdinalIgnoreCase);
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path, Encoding.UTF8))
        {
            lineNumber++;
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0 || fields[0].StartsWith(";;;", StringComparison.Ordinal)) continue;
            if (fields.Length < 2)
                throw new InvalidDataException($"dictionary line {lineNumber} has a word but no phones");
            var word = WithoutAlternateNumber(fields[0]);
            if (!byWord.TryGetValue(word, out var list)) byWord[word] = list = [];
            list.Add(new Pronunciation(word, fields[1..]));
        }
        return new PronouncingDictionary(byWord);
    }

    /// <summary>
    /// Writes pronunciations in the dictionary format, in the order given, a word's alternates
    /// numbered "(2)", "(3)"… as they come (pocketsphinx builds its lexicon tree in file order).
    /// </summary>
    public static void Write(string path, IEnumerable<Pronunciation> pronunciations)
    {
        var temporaryPath = path + ".partial";
        var written = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        using (var writer = new StreamWriter(temporaryPath, append: false, new UTF8Encoding(false)))
        {
            foreach (var pronunciation in pronunciations)
            {
                var number = written[pronunciation.Word] = written.GetValueOrDefault(pronunciation.Word) + 1;
                var word = number == 1 ? pronunciation.Word : $"{pronunciation.Word}({number})";
                writer.Write(word);
                writer.Write(' ');
                writer.Write(string.Join(' ', pronunciation.Phones));
                writer.Write('\n');
            }
        }
        File.Move(temporaryPath, path, overwrite: true);
    }

    /// <summary>"read(2)" is the second pronunciation of "read".</summary>
    public static string WithoutAlternateNumber(string word)
    {
        var parenthesis = word.IndexOf('(');
        return parenthesis > 0 && word.EndsWith(')') ? word[..parenthesis] : word;
    }
}
