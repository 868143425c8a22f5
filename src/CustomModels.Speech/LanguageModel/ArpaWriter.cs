using System.Globalization;
using System.Text;

namespace CustomModels.Speech.LanguageModel;

/// <summary>
/// Writes a model in the ARPA text format: the \data\ header with the n-gram count of each
/// order, then one section per order of "log10 p &lt;tab&gt; words [&lt;tab&gt; log10 backoff]" lines
/// (every order but the highest has a backoff column, 0 where the n-gram is never a context,
/// as lmplz writes it), then \end\. Numbers are the shortest text that reads back as the
/// same float, so a write–read round trip changes nothing.
/// </summary>
public static class ArpaWriter
{
    public static void Write(BackoffLanguageModel model, string path)
    {
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 1 << 16);
        Write(model, writer);
    }

    public static void Write(BackoffLanguageModel model, TextWriter writer)
    {
        writer.NewLine = "\n";
        writer.WriteLine(@"\data\");
        for (var n = 1; n <= model.Order; n++) writer.WriteLine($"ngram {n}={model.NGramCount(n)}");

        var vocabulary = model.Vocabulary;
        Span<char> number = stackalloc char[32];
        for (var n = 1; n <= model.Order; n++)
        {
            writer.WriteLine();
            writer.WriteLine($@"\{n}-grams:");
            var section = model.Section(n);
            var ids = new int[n];
            for (var i = 0; i < section.Count; i++)
            {
                WriteNumber(writer, section.LogProbabilities[i], number);
                PackedNGram.Unpack(section.Keys[i], ids);
                for (var w = 0; w < n; w++)
                {
                    writer.Write(w == 0 ? '\t' : ' ');
                    writer.Write(vocabulary[ids[w]]);
                }
                if (n < model.Order)
                {
                    writer.Write('\t');
                    WriteNumber(writer, section.LogBackoff(i), number);
                }
                writer.Write('\n');
            }
        }
        writer.WriteLine();
        writer.WriteLine(@"\end\");
    }

    private static void WriteNumber(TextWriter writer, float value, Span<char> buffer)
    {
        if (!float.IsFinite(value)) throw new InvalidOperationException($"internal error: model value {value} is not finite");
        value += 0f; // -0 reads oddly; +0 is the same number
        value.TryFormat(buffer, out var written, "R", CultureInfo.InvariantCulture);
        writer.Write(buffer[..written]);
    }
}
