using System.Globalization;
using CustomModels.Speech.Text;

namespace CustomModels.Speech.Scoring;

/// <summary>
/// Word and character error rates by Levenshtein alignment of the normalized reference and
/// hypothesis (both go through <see cref="TranscriptNormalizer"/>, so "25" and "twenty five" agree).
/// The alignment is NIST sclite's (SCTK, net_dp.c with word.c's costs), so that every count agrees
/// with the reference scorer: a substitution costs 4, a deletion or an insertion 3, a match 0.
/// That is the fewest errors first (3 per error) and, among those, the fewest substitutions, but
/// not always: an alignment with one more error and five fewer substitutions costs less, and sclite
/// reports it. Ties between equal-cost steps are broken as sclite breaks them: a cell is reached by
/// the diagonal (match or substitution) when it is no dearer than a deletion or an insertion, else
/// by a deletion when it is strictly cheaper than an insertion, else by an insertion; the
/// backtrace starts at the end of both sequences.
/// </summary>
public static class ErrorRate
{
    /// <summary>
    /// The largest alignment table allowed (reference tokens × hypothesis tokens), one byte a
    /// cell: utterances are sentences, and a pair this long is a misaligned file rather than speech.
    /// </summary>
    private const long MaxAlignmentCells = 400_000_000;

    // sclite's word costs (SCTK word.c, wwd_WORD).
    private const int SubstitutionCost = 4;
    private const int InsertionOrDeletionCost = 3;

    /// <summary>Word errors of one utterance (WER).</summary>
    public static UtteranceErrors Words(string reference, string hypothesis) =>
        Align(TranscriptNormalizer.Words(reference), TranscriptNormalizer.Words(hypothesis));

    /// <summary>
    /// Character errors of one utterance (CER), over the normalized text without the spaces
    /// between words (as sclite and Kaldi do): a word split in two costs nothing, a wrong letter costs one.
    /// A character is a user-perceived character (a letter with its accents is one).
    /// </summary>
    public static UtteranceErrors Characters(string reference, string hypothesis) =>
        Align(CharactersOf(reference), CharactersOf(hypothesis));

    /// <summary>Minimum-edit alignment of two token sequences.</summary>
    public static UtteranceErrors Align(IReadOnlyList<string> reference, IReadOnlyList<string> hypothesis)
    {
        int n = reference.Count, m = hypothesis.Count;
        if ((long)(n + 1) * (m + 1) > MaxAlignmentCells)
            throw new ArgumentException($"utterance too long to align ({n} reference and {m} hypothesis tokens); split it into sentences");

        // Costs are kept one row at a time; the step taken into each cell is kept whole for the backtrace.
        var steps = new EditOperation[(n + 1) * (m + 1)];
        var previous = new int[m + 1];
        var current = new int[m + 1];
        for (var j = 0; j <= m; j++)
        {
            previous[j] = j * InsertionOrDeletionCost;
            steps[j] = EditOperation.Insertion;
        }
        for (var i = 1; i <= n; i++)
        {
            current[0] = i * InsertionOrDeletionCost;
            steps[i * (m + 1)] = EditOperation.Deletion;
            for (var j = 1; j <= m; j++)
            {
                var same = string.Equals(reference[i - 1], hypothesis[j - 1], StringComparison.Ordinal);
                var diagonal = previous[j - 1] + (same ? 0 : SubstitutionCost);
                var deletion = previous[j] + InsertionOrDeletionCost;
                var insertion = current[j - 1] + InsertionOrDeletionCost;
                if (diagonal <= deletion && diagonal <= insertion)
                {
                    current[j] = diagonal;
                    steps[i * (m + 1) + j] = same ? EditOperation.Match : EditOperation.Substitution;
                }
                else if (deletion < insertion)
                {
                    current[j] = deletion;
                    steps[i * (m + 1) + j] = EditOperation.Deletion;
                }
                else
                {
                    current[j] = insertion;
                    steps[i * (m + 1) + j] = EditOperation.Insertion;
                }
            }
            (previous, current) = (current, previous);
        }

        var alignment = new List<AlignmentStep>(Math.Max(n, m));
        int substitutions = 0, deletions = 0, insertions = 0;
        for (int i = n, j = m; i > 0 || j > 0;)
        {
            var step = steps[i * (m + 1) + j];
            switch (step)
            {
                case EditOperation.Match:
                    alignment.Add(new AlignmentStep(step, reference[--i], hypothesis[--j]));
                    break;
                case EditOperation.Substitution:
                    substitutions++;
                    alignment.Add(new AlignmentStep(step, reference[--i], hypothesis[--j]));
                    break;
                case EditOperation.Deletion:
                    deletions++;
                    alignment.Add(new AlignmentStep(step, reference[--i], null));
                    break;
                default:
                    insertions++;
                    alignment.Add(new AlignmentStep(step, null, hypothesis[--j]));
                    break;
            }
        }
        alignment.Reverse();
        return new UtteranceErrors(new ErrorCounts(substitutions, deletions, insertions, n), alignment);
    }

    private static List<string> CharactersOf(string text)
    {
        var characters = new List<string>();
        foreach (var word in TranscriptNormalizer.Words(text))
        {
            var elements = StringInfo.GetTextElementEnumerator(word);
            while (elements.MoveNext()) characters.Add(elements.GetTextElement());
        }
        return characters;
    }
}
