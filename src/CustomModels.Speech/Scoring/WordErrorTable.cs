namespace CustomModels.Speech.Scoring;

/// <summary>A word and how often it took part in something.</summary>
public sealed record WordCount(string Word, int Count);

/// <summary>
/// What became of one word over an evaluation set. Reference side: <see cref="Occurrences"/> =
/// <see cref="Correct"/> + <see cref="Substituted"/> + <see cref="Deleted"/>; hypothesis side:
/// <see cref="Insertions"/>, the times the word was inserted.
/// </summary>
/// <param name="SubstitutedAs">What the word was recognized as when substituted: the most frequent first, at most three.</param>
public sealed record WordErrors(string Word, int Occurrences, int Correct, int Deleted, int Substituted,
    IReadOnlyList<WordCount> SubstitutedAs, int Insertions)
{
    public int Errors => Deleted + Substituted + Insertions;
}

/// <summary>A reference word recognized as another word, and how often.</summary>
public sealed record Confusion(string Reference, string Hypothesis, int Count);

/// <summary>
/// The per-word error table and the confusion pairs of a set of alignments (the evaluation
/// report's `words` and `confusions`). Every alignment step is counted exactly once, against the
/// reference word (match, substitution, deletion) or the inserted word, so the table's columns sum
/// to the corpus counts: occurrences to N, substituted to S, deleted to D, insertions to I.
/// </summary>
public sealed class WordErrorTable
{
    public const int SubstitutedAsShown = 3;

    sealed class Tally
    {
        public int Correct, Deleted, Substituted, Insertions;
        public readonly Dictionary<string, int> SubstitutedAs = new(StringComparer.Ordinal);
    }

    readonly Dictionary<string, Tally> tallies = new(StringComparer.Ordinal);
    readonly Dictionary<(string Reference, string Hypothesis), int> confusions = [];

    public WordErrorTable(IEnumerable<IReadOnlyList<AlignmentStep>> alignments)
    {
        foreach (var alignment in alignments)
            foreach (var step in alignment)
                Count(step);
    }

    void Count(AlignmentStep step)
    {
        switch (step.Operation)
        {
            case EditOperation.Match:
                TallyOf(step.Reference!).Correct++;
                break;
            case EditOperation.Deletion:
                TallyOf(step.Reference!).Deleted++;
                break;
            case EditOperation.Insertion:
                TallyOf(step.Hypothesis!).Insertions++;
                break;
            case EditOperation.Substitution:
                var tally = TallyOf(step.Reference!);
                tally.Substituted++;
                tally.SubstitutedAs[step.Hypothesis!] = tally.SubstitutedAs.GetValueOrDefault(step.Hypothesis!) + 1;
                var pair = (step.Reference!, step.Hypothesis!);
                confusions[pair] = confusions.GetValueOrDefault(pair) + 1;
                break;
        }
    }

    Tally TallyOf(string word)
    {
        if (!tallies.TryGetValue(word, out var tally)) tallies[word] = tally = new Tally();
        return tally;
    }

    /// <summary>How many times <paramref name="word"/> of the references was recognized (aligned to itself).</summary>
    public int CorrectCount(string word) => tallies.TryGetValue(word, out var tally) ? tally.Correct : 0;

    /// <summary>Every word of the references and hypotheses: the most errors first, then the most occurrences, then by spelling.</summary>
    public IReadOnlyList<WordErrors> Words() => tallies
        .Select(t => new WordErrors(t.Key, t.Value.Correct + t.Value.Deleted + t.Value.Substituted, t.Value.Correct,
            t.Value.Deleted, t.Value.Substituted, MostFrequent(t.Value.SubstitutedAs, SubstitutedAsShown), t.Value.Insertions))
        .OrderByDescending(w => w.Errors).ThenByDescending(w => w.Occurrences).ThenBy(w => w.Word, StringComparer.Ordinal)
        .ToList();

    /// <summary>The <paramref name="count"/> most frequent substitution pairs, ties by spelling of the reference then the hypothesis word.</summary>
    public IReadOnlyList<Confusion> Confusions(int count) => confusions
        .OrderByDescending(c => c.Value).ThenBy(c => c.Key.Reference, StringComparer.Ordinal).ThenBy(c => c.Key.Hypothesis, StringComparer.Ordinal)
        .Take(count).Select(c => new Confusion(c.Key.Reference, c.Key.Hypothesis, c.Value))
        .ToList();

    static List<WordCount> MostFrequent(Dictionary<string, int> counts, int count) => counts
        .OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal)
        .Take(count).Select(c => new WordCount(c.Key, c.Value))
        .ToList();
}
