using CustomModels.Speech.Scoring;

namespace CustomModels.Speech.Tests.Scoring;

public class ErrorRateTests
{
    [Fact]
    public void Word_errors_count_one_substitution_and_one_deletion()
    {
        var result = ErrorRate.Words("the cat sat on the mat", "the cat sit on mat");

        Assert.Equal(new ErrorCounts(Substitutions: 1, Deletions: 1, Insertions: 0, ReferenceLength: 6), result.Counts);
        Assert.Equal(2.0 / 6, result.Counts.Rate, 12);
        Assert.Equal(
            [
                new AlignmentStep(EditOperation.Match, "the", "the"),
                new AlignmentStep(EditOperation.Match, "cat", "cat"),
                new AlignmentStep(EditOperation.Substitution, "sat", "sit"),
                new AlignmentStep(EditOperation.Match, "on", "on"),
                new AlignmentStep(EditOperation.Deletion, "the", null),
                new AlignmentStep(EditOperation.Match, "mat", "mat"),
            ],
            result.Alignment);
    }

    [Fact]
    public void Word_errors_count_insertions_and_can_exceed_one()
    {
        var result = ErrorRate.Words("yes", "oh yes yes indeed");
        Assert.Equal(new ErrorCounts(0, 0, 3, 1), result.Counts);
        Assert.Equal(3.0, result.Counts.Rate);
    }

    [Fact]
    public void Word_errors_compare_normalized_text()
    {
        var result = ErrorRate.Words("Give 25 mg, twice-daily.", "give twenty five MG twice daily");
        Assert.Equal(0, result.Counts.Errors);
        Assert.Equal(6, result.Counts.ReferenceLength);
    }

    [Fact]
    public void Empty_reference_and_empty_hypothesis_is_no_error()
    {
        var result = ErrorRate.Words("", "  ");
        Assert.Equal(ErrorCounts.None, result.Counts);
        Assert.Equal(0, result.Counts.Rate);
        Assert.Empty(result.Alignment);
    }

    [Fact]
    public void Empty_reference_with_words_in_the_hypothesis_is_all_insertions_at_rate_one()
    {
        var result = ErrorRate.Words("", "uh hello");
        Assert.Equal(new ErrorCounts(0, 0, 2, 0), result.Counts);
        Assert.Equal(1.0, result.Counts.Rate);
    }

    [Fact]
    public void Empty_hypothesis_is_all_deletions()
    {
        var result = ErrorRate.Words("one two three", "");
        Assert.Equal(new ErrorCounts(0, 3, 0, 3), result.Counts);
        Assert.Equal(1.0, result.Counts.Rate);
    }

    [Fact]
    public void Character_errors_of_kitten_and_sitting_are_two_substitutions_and_one_insertion()
    {
        var result = ErrorRate.Characters("kitten", "sitting");
        Assert.Equal(new ErrorCounts(2, 0, 1, 6), result.Counts);
    }

    [Fact]
    public void Character_errors_ignore_the_spaces_between_words()
    {
        var result = ErrorRate.Characters("ice cream", "icecream");
        Assert.Equal(0, result.Counts.Errors);
        Assert.Equal(8, result.Counts.ReferenceLength);
    }

    [Fact]
    public void Character_errors_count_an_accented_letter_as_one_character()
    {
        // "é" written as e + combining acute accent is one character, and one substitution for "e".
        var result = ErrorRate.Characters("cafe\u0301", "cafe");
        Assert.Equal(new ErrorCounts(1, 0, 0, 4), result.Counts);
    }

    [Fact]
    public void Corpus_rate_is_total_errors_over_total_reference_length()
    {
        var utterances = new[]
        {
            ErrorRate.Words("the cat sat on the mat", "the cat sit on mat").Counts, // 2 errors / 6
            ErrorRate.Words("hello", "hello").Counts,                             // 0 / 1
            ErrorRate.Words("a b c", "a x c d").Counts,                           // 2 / 3
        };
        var total = ErrorCounts.Sum(utterances);
        Assert.Equal(new ErrorCounts(2, 1, 1, 10), total);
        Assert.Equal(0.4, total.Rate, 12);
    }

    [Fact]
    public void Align_works_on_any_token_lists()
    {
        var result = ErrorRate.Align(["a", "b"], ["b"]);
        Assert.Equal([new AlignmentStep(EditOperation.Deletion, "a", null), new AlignmentStep(EditOperation.Match, "b", "b")], result.Alignment);
    }

    [Fact]
    public void A_deletion_and_an_insertion_cost_less_than_two_substitutions_as_in_sclite()
    {
        // With every edit at cost 1 both alignments cost 2; sclite's costs (substitution 4,
        // deletion and insertion 3) make "a b" → "b c" a deletion, a match and an insertion.
        var result = ErrorRate.Align(["a", "b"], ["b", "c"]);
        Assert.Equal(new ErrorCounts(0, 1, 1, 2), result.Counts);
        Assert.Equal(
            [
                new AlignmentStep(EditOperation.Deletion, "a", null),
                new AlignmentStep(EditOperation.Match, "b", "b"),
                new AlignmentStep(EditOperation.Insertion, null, "c"),
            ],
            result.Alignment);
    }

    [Fact]
    public void Equal_costs_are_broken_toward_the_diagonal_then_the_deletion_as_in_sclite()
    {
        // "a a" → "a": deleting the first or the second "a" costs the same; sclite's backtrace
        // from the end takes the diagonal at the last cell, so the first "a" is the one deleted.
        Assert.Equal(
            [new AlignmentStep(EditOperation.Deletion, "a", null), new AlignmentStep(EditOperation.Match, "a", "a")],
            ErrorRate.Align(["a", "a"], ["a"]).Alignment);
        // "x" → "y z": a substitution and an insertion either way round; the diagonal wins at the last cell.
        Assert.Equal(
            [new AlignmentStep(EditOperation.Insertion, null, "y"), new AlignmentStep(EditOperation.Substitution, "x", "z")],
            ErrorRate.Align(["x"], ["y", "z"]).Alignment);
    }
}
