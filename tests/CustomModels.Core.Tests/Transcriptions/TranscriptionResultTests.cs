using CustomModels.Core.Transcriptions;
using CustomModels.Speech.Decoding;

namespace CustomModels.Core.Tests.Transcriptions;

/// <summary>How a result is cut into segments: at a pause of 0.5 s or more, or at the next gap once a segment lasts 7 s.</summary>
public sealed class TranscriptionResultTests
{
    static TranscriptionResult Result(params (string Word, double Start, double End)[] words) =>
        TranscriptionResult.From(new TranscriptionJob { PublicId = "stt_x", Language = "en", AudioBlob = "a", DurationSeconds = 60 }, null,
            new Transcript(string.Join(' ', words.Select(w => w.Word)), words.Select(w => new RecognizedWord(w.Word, w.Start, w.End, 0.9)).ToList(), 60));

    static List<string> Segments(TranscriptionResult result) => result.Segments.Select(s => s.Text).ToList();

    [Fact]
    public void A_pause_of_half_a_second_starts_a_segment_and_a_shorter_one_does_not()
    {
        var result = Result(("the", 0.0, 0.2), ("patient", 0.3, 0.8), ("is", 1.29, 1.4), ("stable", 1.9, 2.4));
        // 0.1 s and 0.49 s pauses keep the words together; 0.5 s cuts.
        Assert.Equal(["the patient is", "stable"], Segments(result));
        Assert.Equal((0.0, 1.4), (result.Segments[0].Start, result.Segments[0].End));
        Assert.Equal((1.9, 2.4), (result.Segments[1].Start, result.Segments[1].End));
    }

    [Fact]
    public void A_segment_of_seven_seconds_is_cut_at_its_next_gap_however_short_but_never_between_touching_words()
    {
        // Words every 0.5 s with 0.1 s gaps, and two that touch (no gap) just past 7 s.
        var words = Enumerable.Range(0, 14).Select(i => ($"w{i}", i * 0.5, i * 0.5 + 0.4)).ToList();
        words.Add(("touching", 6.9, 7.3));
        words.Add(("next", 7.3, 7.6));
        words.Add(("after", 7.7, 8.0));
        var result = Result([.. words]);
        Assert.Equal(2, result.Segments.Count);
        Assert.EndsWith("touching next", result.Segments[0].Text);
        Assert.Equal("after", result.Segments[1].Text);
    }

    [Fact]
    public void The_text_is_the_decoders_and_every_word_is_in_one_segment_in_order()
    {
        var result = Result(("a", 0, 0.1), ("b", 1, 1.1), ("c", 2, 2.1));
        Assert.Equal("a b c", result.Text);
        Assert.Equal(["a", "b", "c"], result.Segments.SelectMany(s => s.Words).Select(w => w.Word));
        Assert.Empty(Result().Segments);
    }
}
