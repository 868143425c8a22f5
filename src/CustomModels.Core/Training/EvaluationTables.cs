using System.Globalization;
using System.Text;
using System.Text.Json;
using CustomModels.Speech.Scoring;

namespace CustomModels.Core.Training;

/// <summary>
/// The evaluation report's tables as CSV downloads (RFC 4180: comma-separated, fields with a comma,
/// quote or line break quoted, CRLF line ends, a header row): the per-utterance table and the per-word one.
/// </summary>
public static class EvaluationTables
{
    public static EvaluationReport Read(Stream report) =>
        JsonSerializer.Deserialize<EvaluationReport>(report, EvaluationReport.Json)
        ?? throw new InvalidDataException("the file holds no evaluation report");

    /// <summary>
    /// The custom model's per-word table; a report written before the table existed has it recomputed
    /// from its per-utterance references and hypotheses, which is what the table is made of.
    /// </summary>
    public static IReadOnlyList<WordErrors> Words(EvaluationReport report) => report.Words
        ?? new WordErrorTable(report.Utterances.Select(u => ErrorRate.Words(u.Reference, u.CustomHypothesis).Alignment)).Words();

    public static string UtterancesCsv(EvaluationReport report)
    {
        var withActive = report.Utterances.Any(u => u.ActiveErrors is not null);
        var csv = new StringBuilder();
        List<object?> header = ["data_id", "audio_file", "reference", "base_hypothesis", "custom_hypothesis"];
        if (withActive) header.Add("active_hypothesis");
        header.AddRange(["reference_words", "base_substitutions", "base_deletions", "base_insertions",
            "custom_substitutions", "custom_deletions", "custom_insertions"]);
        if (withActive) header.AddRange(["active_substitutions", "active_deletions", "active_insertions"]);
        Row(csv, header);
        foreach (var u in report.Utterances)
        {
            List<object?> row = [u.DataId, u.AudioFile, u.Reference, u.BaseHypothesis, u.CustomHypothesis];
            if (withActive) row.Add(u.ActiveHypothesis);
            row.AddRange([u.CustomErrors.ReferenceWords, u.BaseErrors.Substitutions, u.BaseErrors.Deletions, u.BaseErrors.Insertions,
                u.CustomErrors.Substitutions, u.CustomErrors.Deletions, u.CustomErrors.Insertions]);
            if (withActive) row.AddRange([u.ActiveErrors?.Substitutions, u.ActiveErrors?.Deletions, u.ActiveErrors?.Insertions]);
            Row(csv, row);
        }
        return csv.ToString();
    }

    /// <summary>One row a word; `substituted_as` lists the top replacements as `word:count` separated by spaces.</summary>
    public static string WordsCsv(EvaluationReport report)
    {
        var csv = new StringBuilder();
        Row(csv, ["word", "occurrences", "correct", "deleted", "substituted", "substituted_as", "insertions"]);
        foreach (var w in Words(report))
            Row(csv, [w.Word, w.Occurrences, w.Correct, w.Deleted, w.Substituted,
                string.Join(' ', w.SubstitutedAs.Select(s => $"{s.Word}:{s.Count}")), w.Insertions]);
        return csv.ToString();
    }

    static void Row(StringBuilder csv, IEnumerable<object?> fields)
    {
        var first = true;
        foreach (var field in fields)
        {
            if (!first) csv.Append(',');
            first = false;
            var text = Convert.ToString(field, CultureInfo.InvariantCulture) ?? "";
            if (text.AsSpan().IndexOfAny(",\"\r\n") >= 0) csv.Append('"').Append(text.Replace("\"", "\"\"")).Append('"');
            else csv.Append(text);
        }
        csv.Append("\r\n");
    }
}
