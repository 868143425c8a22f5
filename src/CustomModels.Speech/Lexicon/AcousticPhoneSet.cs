using System.Text;

namespace CustomModels.Speech.Lexicon;

/// <summary>
/// The context-independent phones an acoustic model was trained on, read from its model
/// definition (mdef) file: the binary form pocketsphinx ships, or the text form SphinxTrain writes.
/// </summary>
public sealed class AcousticPhoneSet
{
    private const int BinaryByteOrderMarker = 0x46444D42; // "BMDF" read as a little-endian int32

    private AcousticPhoneSet(IReadOnlySet<string> phones) => Phones = phones;

    public IReadOnlySet<string> Phones { get; }

    public bool Contains(string phone) => Phones.Contains(phone);

    /// <param name="acousticModelPath">The model directory (containing mdef) or the mdef file itself.</param>
    public static AcousticPhoneSet Load(string acousticModelPath)
    {
        var mdefPath = Directory.Exists(acousticModelPath) ? Path.Combine(acousticModelPath, "mdef") : acousticModelPath;
        using var stream = File.OpenRead(mdefPath);
        using var reader = new BinaryReader(stream, Encoding.ASCII);
        var phones = reader.ReadInt32() == BinaryByteOrderMarker ? ReadBinary(reader) : ReadText(mdefPath);
        if (phones.Count == 0) throw new InvalidDataException($"no phones found in {mdefPath}");
        return new AcousticPhoneSet(phones);
    }

    // Layout (pocketsphinx bin_mdef.c): marker, version, header length, header text, ten int32
    // counts of which the first is the number of CI phones, then the CI phone names, NUL-terminated.
    private static HashSet<string> ReadBinary(BinaryReader reader)
    {
        reader.ReadInt32();
        var headerLength = reader.ReadInt32();
        reader.BaseStream.Seek(headerLength, SeekOrigin.Current);
        var counts = Enumerable.Range(0, 10).Select(_ => reader.ReadInt32()).ToArray();
        var phones = new HashSet<string>(StringComparer.Ordinal);
        var name = new StringBuilder();
        while (phones.Count < counts[0])
        {
            var c = reader.ReadByte();
            if (c != 0) { name.Append((char)c); continue; }
            phones.Add(name.ToString());
            name.Clear();
        }
        return phones;
    }

    // Text form: after the "n_base" counts, one line per phone; context-independent ones have "-"
    // as left and right context ("AA - - - filler 0 0 1 2 N").
    private static HashSet<string> ReadText(string path)
    {
        var phones = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path))
        {
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 4 && fields[1] == "-" && fields[2] == "-" && fields[3] == "-" && !line.StartsWith('#'))
                phones.Add(fields[0]);
        }
        return phones;
    }
}
