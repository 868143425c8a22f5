using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;

namespace CustomModels.Speech.Decoding;

/// <summary>
/// The libpocketsphinx / libsphinxbase C API (Debian's 0.8+5prealpha: libpocketsphinx.so.3,
/// libsphinxbase.so.3). Every owned pointer travels in a SafeHandle; borrowed pointers (the
/// decoder's logmath, hypothesis strings, segment iterators) stay IntPtr and never outlive the call
/// that produced them.
/// </summary>
internal static partial class PocketSphinxNative
{
    private const string PocketSphinx = "libpocketsphinx.so.3";
    private const string SphinxBase = "libsphinxbase.so.3";

    // sphinxbase logs every model load and utterance, and ps_init prints its whole configuration
    // to the log FILE* (stderr by default). "-logfn /dev/null" is not the cure: every ps_init
    // then opens a new log file and fcloses the previous one while other decoders may still be
    // writing to it (a use-after-free, seen here as a hung process). Instead, once per process:
    // no log callback (nothing is formatted or written) and /dev/null as the FILE* that the
    // configuration dump goes to. A "-logfn" parameter would undo this; none is passed.
    static PocketSphinxNative()
    {
        err_set_callback(IntPtr.Zero, IntPtr.Zero);
        var devNull = fopen("/dev/null", "w");
        if (devNull != IntPtr.Zero) err_set_logfp(devNull);
    }

    [LibraryImport(SphinxBase)]
    private static partial void err_set_callback(IntPtr callback, IntPtr userData);

    [LibraryImport(SphinxBase)]
    private static partial void err_set_logfp(IntPtr stream);

    [LibraryImport("libc.so.6", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr fopen(string path, string mode);

    // ---- configuration (cmd_ln) -----------------------------------------------------------------

    [LibraryImport(PocketSphinx)]
    internal static partial IntPtr ps_args();

    /// <summary>Parses "-name value" pairs; sphinxbase copies every string it keeps.</summary>
    [LibraryImport(SphinxBase, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial SafeConfigHandle cmd_ln_parse_r(IntPtr inoutConfig, IntPtr definitions, int argc,
        string[] argv, int strict);

    [LibraryImport(SphinxBase)]
    internal static partial int cmd_ln_free_r(IntPtr config);

    // ---- log math -------------------------------------------------------------------------------

    [LibraryImport(SphinxBase)]
    internal static partial SafeLogMathHandle logmath_init(double logBase, int shift, int useTable);

    [LibraryImport(SphinxBase)]
    internal static partial int logmath_free(IntPtr logMath);

    [LibraryImport(SphinxBase)]
    internal static partial double logmath_exp(IntPtr logMath, int logValue);

    [LibraryImport(SphinxBase)]
    internal static partial double logmath_log_to_ln(IntPtr logMath, int logValue);

    // ---- n-gram models --------------------------------------------------------------------------

    internal const int NgramAuto = 0;
    internal const int NgramBinary = 2; // sphinxbase 5prealpha's trie format, as sphinx_lm_convert writes it
    internal const int NgramInvalidWordId = -1;

    [LibraryImport(SphinxBase, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial SafeNgramModelHandle ngram_model_read(SafeConfigHandle config, string path, int fileType,
        IntPtr logMath);

    [LibraryImport(SphinxBase)]
    internal static partial int ngram_model_free(IntPtr model);

    /// <summary>0 on success.</summary>
    [LibraryImport(SphinxBase, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ngram_model_write(SafeNgramModelHandle model, string path, int fileType);

    [LibraryImport(SphinxBase, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial SafeNgramModelHandle ngram_model_set_init(SafeConfigHandle config, IntPtr[] models,
        string[] names, float[] weights, int modelCount);

    [LibraryImport(SphinxBase, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr ngram_model_set_interp(SafeNgramModelHandle set, string[] names, float[] weights);

    /// <summary>The same on a set borrowed from a search (ps_get_lm).</summary>
    [LibraryImport(SphinxBase, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr ngram_model_set_interp(IntPtr set, string[] names, float[] weights);

    /// <summary>Makes the set score (and take new words into) the named model alone, until ngram_model_set_interp.</summary>
    [LibraryImport(SphinxBase, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr ngram_model_set_select(IntPtr set, string name);

    /// <summary>
    /// Adds a model to a set, which takes over the caller's reference (the set frees it). With
    /// <paramref name="reuseWordMap"/> the set's words stay as they are and the model's ids for them
    /// are looked up; its weight is then set with ngram_model_set_interp.
    /// </summary>
    [LibraryImport(SphinxBase, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr ngram_model_set_add(IntPtr set, IntPtr model, string name, float weight, int reuseWordMap);

    /// <summary>Takes the named model out of a set and gives its reference to the caller; NULL when the set has none of that name.</summary>
    [LibraryImport(SphinxBase, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr ngram_model_set_remove(IntPtr set, string name, int reuseWordMap);

    /// <summary>
    /// Makes <paramref name="words"/> the set's words, in that order (a search maps its dictionary's
    /// words this way, each set id being the dictionary's), and looks up every model's id for each.
    /// </summary>
    [LibraryImport(SphinxBase, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void ngram_model_set_map_words(IntPtr set, string[] words, int count);

    /// <summary>One more reference to a model (released with ngram_model_free).</summary>
    [LibraryImport(SphinxBase)]
    internal static partial IntPtr ngram_model_retain(SafeNgramModelHandle model);

    [LibraryImport(SphinxBase, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ngram_model_add_word(SafeNgramModelHandle model, string word, float weight);

    [LibraryImport(SphinxBase, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ngram_wid(SafeNgramModelHandle model, string word);

    [LibraryImport(SphinxBase)]
    internal static partial int ngram_unknown_wid(SafeNgramModelHandle model);

    /// <summary>The same on a model borrowed from a set (ngram_model_set_lookup).</summary>
    [LibraryImport(SphinxBase, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ngram_wid(IntPtr model, string word);

    [LibraryImport(SphinxBase)]
    internal static partial int ngram_unknown_wid(IntPtr model);

    /// <summary>The named model of a set, borrowed (the set keeps it); NULL when the set has none of that name.</summary>
    [LibraryImport(SphinxBase, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr ngram_model_set_lookup(IntPtr set, string name);

    /// <summary>The model's n-gram counts (unigrams first, as many as its order), an array the model owns.</summary>
    [LibraryImport(SphinxBase)]
    internal static partial IntPtr ngram_model_get_counts(SafeNgramModelHandle model);

    /// <summary>The word with this id (a string the model owns), or NULL.</summary>
    [LibraryImport(SphinxBase)]
    internal static partial IntPtr ngram_word(SafeNgramModelHandle model, int wordId);

    /// <summary>Raw log probability (logmath units) of a word after a history, most recent word first.</summary>
    [LibraryImport(SphinxBase)]
    internal static partial int ngram_ng_prob(SafeNgramModelHandle model, int wordId, int[] history, int historyLength,
        out int ngramOrderUsed);

    // ---- decoder --------------------------------------------------------------------------------

    [LibraryImport(PocketSphinx)]
    internal static partial SafeDecoderHandle ps_init(SafeConfigHandle config);

    [LibraryImport(PocketSphinx)]
    internal static partial int ps_free(IntPtr decoder);

    [LibraryImport(PocketSphinx)]
    internal static partial IntPtr ps_get_logmath(SafeDecoderHandle decoder);

    [LibraryImport(PocketSphinx, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ps_add_word(SafeDecoderHandle decoder, string word, string phones, int update);

    /// <summary>
    /// Replaces the decoder's dictionary with the one in <paramref name="dictionaryPath"/> (the filler
    /// dictionary kept when <paramref name="fillerDictionaryPath"/> is null); 0 on success.
    /// </summary>
    [LibraryImport(PocketSphinx, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ps_load_dict(SafeDecoderHandle decoder, string dictionaryPath, string? fillerDictionaryPath, string? format);

    /// <summary>Returns a malloc'ed phone string (freed with ckd_free) or NULL when the word is unknown.</summary>
    [LibraryImport(PocketSphinx, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr ps_lookup_word(SafeDecoderHandle decoder, string word);

    [LibraryImport(SphinxBase)]
    internal static partial void ckd_free(IntPtr pointer);

    [LibraryImport(PocketSphinx, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ps_set_lm(SafeDecoderHandle decoder, string name, SafeNgramModelHandle model);

    [LibraryImport(PocketSphinx, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ps_set_search(SafeDecoderHandle decoder, string name);

    [LibraryImport(PocketSphinx)]
    internal static partial int ps_start_utt(SafeDecoderHandle decoder);

    [LibraryImport(PocketSphinx)]
    internal static unsafe partial int ps_process_raw(SafeDecoderHandle decoder, short* samples, nuint sampleCount,
        int noSearch, int fullUtterance);

    [LibraryImport(PocketSphinx)]
    internal static partial int ps_end_utt(SafeDecoderHandle decoder);

    [LibraryImport(PocketSphinx)]
    internal static partial IntPtr ps_get_hyp(SafeDecoderHandle decoder, out int bestScore);

    [LibraryImport(PocketSphinx)]
    internal static partial IntPtr ps_seg_iter(SafeDecoderHandle decoder);

    /// <summary>Advances; returns NULL at the end and frees the iterator itself then.</summary>
    [LibraryImport(PocketSphinx)]
    internal static partial IntPtr ps_seg_next(IntPtr segment);

    [LibraryImport(PocketSphinx)]
    internal static partial IntPtr ps_seg_word(IntPtr segment);

    [LibraryImport(PocketSphinx)]
    internal static partial void ps_seg_frames(IntPtr segment, out int startFrame, out int endFrame);

    [LibraryImport(PocketSphinx)]
    internal static partial int ps_seg_prob(IntPtr segment, out int acousticScore, out int languageScore,
        out int languageBackoff);

    [LibraryImport(PocketSphinx)]
    internal static partial void ps_seg_free(IntPtr segment);

    /// <summary>The n-gram model (set) of a search, borrowed: the search keeps it; NULL for another kind of search.</summary>
    [LibraryImport(PocketSphinx, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr ps_get_lm(SafeDecoderHandle decoder, string name);

    /// <summary>Sets the language weight and word insertion penalty a model (or every model of a set) scores with.</summary>
    [LibraryImport(SphinxBase)]
    internal static partial int ngram_model_apply_weights(IntPtr model, float languageWeight, float wordInsertionPenalty);

    /// <summary>The word lattice of the last utterance, owned by the decoder (freed by the next utterance).</summary>
    [LibraryImport(PocketSphinx)]
    internal static partial IntPtr ps_get_lattice(SafeDecoderHandle decoder);

    /// <summary>The best path through the lattice, its language scores from <paramref name="lmSet"/> times <paramref name="languageWeightFactor"/>.</summary>
    [LibraryImport(PocketSphinx)]
    internal static partial IntPtr ps_lattice_bestpath(IntPtr lattice, IntPtr lmSet, float languageWeightFactor, float acousticScale);

    /// <summary>The words of a best path (fillers left out), owned by the lattice.</summary>
    [LibraryImport(PocketSphinx)]
    internal static partial IntPtr ps_lattice_hyp(IntPtr lattice, IntPtr link);
}

/// <summary>A cmd_ln_t configuration; pocketsphinx retains its own reference when it uses one.</summary>
internal sealed class SafeConfigHandle : SafeHandle
{
    public SafeConfigHandle() : base(IntPtr.Zero, ownsHandle: true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle()
    {
        PocketSphinxNative.cmd_ln_free_r(handle);
        return true;
    }
}

/// <summary>A logmath_t table of our own (the decoder's is borrowed, never wrapped).</summary>
internal sealed class SafeLogMathHandle : SafeHandle
{
    public SafeLogMathHandle() : base(IntPtr.Zero, ownsHandle: true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle()
    {
        PocketSphinxNative.logmath_free(handle);
        return true;
    }
}

/// <summary>One reference to a reference-counted ngram_model_t (a single model or an interpolated set).</summary>
internal sealed class SafeNgramModelHandle : SafeHandle
{
    public SafeNgramModelHandle() : base(IntPtr.Zero, ownsHandle: true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle()
    {
        PocketSphinxNative.ngram_model_free(handle);
        return true;
    }
}

/// <summary>A ps_decoder_t with its acoustic model, dictionary and searches.</summary>
internal sealed class SafeDecoderHandle : SafeHandle
{
    public SafeDecoderHandle() : base(IntPtr.Zero, ownsHandle: true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle()
    {
        PocketSphinxNative.ps_free(handle);
        return true;
    }
}
