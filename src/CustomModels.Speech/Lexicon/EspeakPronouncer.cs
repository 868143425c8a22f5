using System.Diagnostics;
using System.Text;

namespace CustomModels.Speech.Lexicon;

/// <summary>
/// Pronunciations for words no dictionary has, from espeak-ng's letter-to-sound rules
/// (<c>espeak-ng -q -x --sep=" " -v en-us</c>: "metoprolol" → "m 'E t# @ p r ,0 l 0 l"), mapped to
/// ARPAbet and checked against the acoustic model's phones. One espeak-ng process serves a whole
/// batch of words, one word per input line; each line ends with a full stop so that espeak-ng
/// reads it as a clause of its own and prints exactly one phoneme line for it.
/// </summary>
public sealed class EspeakPronouncer(AcousticPhoneSet phoneSet) : IPronouncer
{
    private const int WordsPerProcess = 5000;

    // espeak-ng's English phoneme mnemonics (docs/phonemes.md, phsource/ph_english) → ARPAbet.
    private static readonly Dictionary<string, string> EspeakToArpabet = new(StringComparer.Ordinal)
    {
        // vowels and diphthongs
        ["a"] = "AE", ["aa"] = "AE", ["a#"] = "AH", ["A"] = "AA", ["A:"] = "AA", ["0"] = "AA", ["V"] = "AH",
        ["E"] = "EH", ["e"] = "EH", ["I"] = "IH", ["I2"] = "IH", ["I#"] = "IH", ["i"] = "IY", ["i:"] = "IY",
        ["O"] = "AO", ["O:"] = "AO", ["O2"] = "AO", ["U"] = "UH", ["u"] = "UW", ["u:"] = "UW",
        ["@"] = "AH", ["@2"] = "AH", ["@5"] = "AH", ["@#"] = "AH", ["3"] = "ER", ["3:"] = "ER",
        ["eI"] = "EY", ["aI"] = "AY", ["aU"] = "AW", ["OI"] = "OY", ["oU"] = "OW", ["o"] = "OW",
        // r-coloured vowels and syllabic consonants
        ["A@"] = "AA R", ["O@"] = "AO R", ["e@"] = "EH R", ["U@"] = "UH R", ["o@"] = "AO R", ["i@"] = "IY AH", ["i@3"] = "IY R",
        ["aI@"] = "AY ER", ["aI3"] = "AY ER", ["aU@"] = "AW ER", ["IR"] = "IH R", ["VR"] = "AH R", ["@r"] = "ER",
        ["@L"] = "AH L", ["@-"] = "AH", ["n-"] = "AH N", ["m-"] = "AH M", ["l-"] = "AH L",
        // consonants
        ["b"] = "B", ["d"] = "D", ["d#"] = "D", ["f"] = "F", ["g"] = "G", ["h"] = "HH", ["k"] = "K", ["x"] = "K",
        ["l"] = "L", ["l#"] = "L", ["m"] = "M", ["n"] = "N", ["N"] = "NG", ["p"] = "P", ["r"] = "R", ["r-"] = "R",
        ["R"] = "R", ["s"] = "S", ["t"] = "T", ["t#"] = "T", ["t2"] = "T", ["?"] = "T", ["v"] = "V", ["w"] = "W",
        ["z"] = "Z", ["z#"] = "Z", ["j"] = "Y", ["T"] = "TH", ["D"] = "DH", ["S"] = "SH", ["Z"] = "ZH",
        ["tS"] = "CH", ["dZ"] = "JH", ["C"] = "HH",
    };

    public string Source => "espeak-ng";

    public static EspeakPronouncer ForAcousticModel(string acousticModelPath) =>
        new(AcousticPhoneSet.Load(acousticModelPath));

    /// <summary>
    /// Pronounces each word; a word whose espeak phonemes cannot all be mapped to the acoustic
    /// model's phones is left out of the result.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<Pronunciation>>> PronounceAsync(IReadOnlyCollection<string> words,
        CancellationToken cancellationToken = default)
    {
        var result = new Dictionary<string, IReadOnlyList<Pronunciation>>(StringComparer.OrdinalIgnoreCase);
        foreach (var batch in words.Distinct(StringComparer.OrdinalIgnoreCase).Chunk(WordsPerProcess))
        {
            var phonemeLines = await RunEspeakAsync(batch, cancellationToken);
            for (var i = 0; i < batch.Length; i++)
            {
                if (ToArpabet(phonemeLines[i]) is { Count: > 0 } phones) result[batch[i]] = [new Pronunciation(batch[i], phones)];
            }
        }
        return result;
    }

    /// <summary>One espeak phoneme line ("m 'E t# @ p r ,0 l 0 l") as model phones, or null if one has no mapping.</summary>
    internal List<string>? ToArpabet(string espeakPhonemes)
    {
        var phones = new List<string>();
        foreach (var token in espeakPhonemes.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            // Stress (' ,), secondary marks (% =), pauses (_) and palatalization (;) carry no phone.
            var phoneme = token.Trim('\'', ',', '%', '=', '_', ';');
            if (phoneme.Length == 0) continue;
            if (!EspeakToArpabet.TryGetValue(phoneme, out var arpabet)) return null;
            foreach (var phone in arpabet.Split(' '))
            {
                if (!phoneSet.Contains(phone)) return null;
                phones.Add(phone);
            }
        }
        return phones;
    }

    private static async Task<string[]> RunEspeakAsync(string[] words, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo("espeak-ng")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var argument in new[] { "-q", "-x", "--sep= ", "-v", "en-us" }) startInfo.ArgumentList.Add(argument);
        using var espeak = Process.Start(startInfo) ?? throw new InvalidOperationException("espeak-ng did not start");
        await using var kill = cancellationToken.Register(() => { try { espeak.Kill(); } catch (InvalidOperationException) { } });

        var readOutput = espeak.StandardOutput.ReadToEndAsync(cancellationToken);
        var readErrors = espeak.StandardError.ReadToEndAsync(cancellationToken);
        foreach (var word in words)
            await espeak.StandardInput.WriteAsync($"{word}.\n".AsMemory(), cancellationToken);
        espeak.StandardInput.Close();
        var output = await readOutput;
        var errors = await readErrors;
        await espeak.WaitForExitAsync(cancellationToken);

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (espeak.ExitCode != 0 || lines.Length != words.Length)
            throw new InvalidOperationException(
                $"espeak-ng printed {lines.Length} phoneme lines for {words.Length} words (exit {espeak.ExitCode}): {errors.Trim()}");
        return lines;
    }
}
