using System.Globalization;
using CustomModels.Speech.Decoding;

namespace CustomModels.Speech.Acoustic;

/// <summary>
/// An adapted acoustic model as it is stored: a folder holding only the files that differ from
/// the base model's (the rest, the model definition above all, is read from the base model's
/// folder). Each file, when present, takes the place of the base model's through its
/// pocketsphinx parameter. The folder's files name the kind of adaptation:
/// <list type="bullet">
/// <item>`feat.params` alone: the channel's initial cepstral mean (<c>-cmninit</c>), the rest of the
/// base model's front-end parameters unchanged;</item>
/// <item>`mllr_matrix`: a maximum-likelihood linear regression of the Gaussian means (<c>-mllr</c>);</item>
/// <item>`means`, `variances`, `sendump`, `transition_matrices`: a maximum a posteriori model.</item>
/// </list>
/// </summary>
public static class AdaptedAcousticModel
{
    public const string FeatureParametersFile = "feat.params";
    public const string MllrFile = "mllr_matrix";

    /// <summary>Each file of an adapted model and the pocketsphinx parameter that reads it in place of the base model's.</summary>
    static readonly (string File, string Parameter)[] Overrides =
    [
        (FeatureParametersFile, "-featparams"),
        (MllrFile, "-mllr"),
        ("means", "-mean"),
        ("variances", "-var"),
        ("sendump", "-sendump"),
        ("transition_matrices", "-tmat"),
    ];

    /// <summary>The base model's settings with the adapted model's files in place of the base model's.</summary>
    public static DecoderSettings Apply(DecoderSettings settings, string folder)
    {
        var parameters = new Dictionary<string, string>(settings.Parameters);
        foreach (var (file, parameter) in Overrides)
        {
            var path = Path.Combine(folder, file);
            if (File.Exists(path)) parameters[parameter] = path;
        }
        return settings with { Parameters = parameters };
    }

    /// <summary>The files <see cref="Apply"/> reads, for copying an adapted model into an artifact.</summary>
    public static IEnumerable<string> Files(string folder) =>
        Overrides.Select(o => Path.Combine(folder, o.File)).Where(File.Exists);

    /// <summary>
    /// Reads a feat.params file ("-name value" a line) in its order. pocketsphinx reads the
    /// model's feat.params after its command line, so a value there (the initial cepstral mean)
    /// can only be changed by a feat.params of the adapted model's own.
    /// </summary>
    public static List<KeyValuePair<string, string>> ReadFeatureParameters(string path) =>
        File.ReadLines(path)
            .Select(line => line.Trim())
            .Where(line => line.StartsWith('-'))
            .Select(line => line.Split((char[])[' ', '\t'], 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(parts => parts.Length == 2)
            .Select(parts => KeyValuePair.Create(parts[0], parts[1]))
            .ToList();

    /// <summary>Writes <paramref name="baseFeatureParameters"/> with its -cmninit set to <paramref name="cepstralMean"/>.</summary>
    public static void WriteFeatureParameters(string baseFeatureParameters, IReadOnlyList<double> cepstralMean, string path)
    {
        var parameters = ReadFeatureParameters(baseFeatureParameters);
        var mean = string.Join(',', cepstralMean.Select(v => v.ToString("0.00", CultureInfo.InvariantCulture)));
        parameters.RemoveAll(p => p.Key == "-cmninit");
        parameters.Add(KeyValuePair.Create("-cmninit", mean));
        File.WriteAllLines(path, parameters.Select(p => $"{p.Key} {p.Value}"));
    }
}
