namespace CustomModels.Speech.LanguageModel;

/// <summary>
/// Gives back the memory of large arrays that estimation has just let go. Each stage's arrays
/// are hundreds of megabytes for a large corpus and die at known points; left alone, the
/// collector grows the heap rather than collect them, so the process's peak would be near the
/// sum of the stages' arrays instead of the largest stage's (measured on a 200 MB corpus:
/// 1.23 GB resident against a live set that fits in 768 MB). Arrays of numbers hold no
/// references, so a full collection costs little next to the work that made them.
/// </summary>
internal static class ReleasedArrays
{
    /// <summary>Below this, a forced collection is not worth its pause (small models are estimated often).</summary>
    private const long MinimumBytes = 64L << 20;

    public static void Reclaim(long releasedBytes)
    {
        if (releasedBytes < MinimumBytes) return;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: false);
    }
}
