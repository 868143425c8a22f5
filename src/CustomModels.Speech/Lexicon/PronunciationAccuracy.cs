using CustomModels.Speech.Scoring;

namespace CustomModels.Speech.Lexicon;

/// <summary>How well a pronouncer did on held-out dictionary words.</summary>
/// <param name="WordAccuracy">Share of words whose first pronunciation is one of the dictionary's.</param>
/// <param name="PhoneErrorRate">Phone edits of the first pronunciation against the nearest dictionary pronunciation, per reference phone.</param>
/// <param name="Unpronounced">Words the pronouncer gave nothing for (counted as wrong, every reference phone deleted).</param>
public sealed record PronunciationAccuracy(int Words, double WordAccuracy, double PhoneErrorRate, int Unpronounced)
{
    /// <summary>
    /// The held-out split: <paramref name="count"/> words spread evenly over the dictionary's
    /// alphabetical order (every k-th word), so the split is the same on every machine.
    /// </summary>
    public static (List<Pronunciation> Training, Dictionary<string, IReadOnlyList<Pronunciation>> HeldOut) Split(
        PronouncingDictionary dictionary, int count)
    {
        var words = dictionary.Entries.Select(e => e.Word).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();
        var step = Math.Max(1, words.Count / Math.Max(1, count));
        var heldOut = words.Where((_, i) => i % step == step / 2).Take(count)
            .ToDictionary(w => w, dictionary.Lookup, StringComparer.OrdinalIgnoreCase);
        var training = dictionary.Entries.Where(e => !heldOut.ContainsKey(e.Word)).ToList();
        return (training, heldOut);
    }

    /// <summary>Scores the first pronunciation given for each held-out word against all of the dictionary's.</summary>
    public static PronunciationAccuracy Measure(IReadOnlyDictionary<string, IReadOnlyList<Pronunciation>> heldOut,
        IReadOnlyDictionary<string, IReadOnlyList<Pronunciation>> pronounced)
    {
        int correct = 0, unpronounced = 0, edits = 0, referencePhones = 0;
        foreach (var (word, references) in heldOut)
        {
            if (!pronounced.TryGetValue(word, out var given) || given.Count == 0)
            {
                unpronounced++;
                var shortest = references.Min(r => r.Phones.Count);
                edits += shortest;
                referencePhones += shortest;
                continue;
            }
            var nearest = references.Select(r => ErrorRate.Align(r.Phones, given[0].Phones).Counts)
                .OrderBy(c => c.Errors).ThenBy(c => c.ReferenceLength).First();
            if (nearest.Errors == 0) correct++;
            edits += nearest.Errors;
            referencePhones += nearest.ReferenceLength;
        }
        return new PronunciationAccuracy(heldOut.Count, heldOut.Count > 0 ? (double)correct / heldOut.Count : 0,
            referencePhones > 0 ? (double)edits / referencePhones : 0, unpronounced);
    }
}
