using System.Buffers.Binary;
using System.Text;

namespace CustomModels.Speech.Acoustic;

/// <summary>
/// The mixture weights of a semi-continuous or phonetically tied acoustic model: for every senone,
/// feature stream and codeword, the weight of that codeword's Gaussian in the senone's mixture.
///
/// Two file forms hold them. pocketsphinx models (Debian's pocketsphinx-en-us) ship `sendump`:
/// each weight as one byte, its negated log in base 1.0001 shifted right by `mixw_shift` (10) bits,
/// laid out feature × codeword × senone. sphinxtrain's tools (bw, map_adapt) read and write
/// `mixture_weights`: the Sphinx-3 binary parameter file ("s3" header, byte-order mark, then the
/// senone × feature × codeword array as 32-bit floats). Converting one into the other is lossless
/// both ways for every byte up to the floor's (see <see cref="WriteSendump"/>).
/// </summary>
public sealed class MixtureWeights
{
    /// <summary>
    /// The smallest weight written into a sendump. pocketsphinx floors the weights it reads from
    /// `mixture_weights` at the same value (its -mixwfloor); sphinxtrain's mk_s2sendump defaults to
    /// 1e-5, which raises every weight between the two and changes recognition. At 1e-7 the
    /// quantized floor is byte 158, the largest byte pocketsphinx-en-us's sendump holds.
    /// </summary>
    public const double SendumpFloor = 1e-7;

    const double LogBase = 1.0001;
    const int DefaultShift = 10;
    const int ByteOrderMark = 0x11223344;
    static readonly double LnBase = Math.Log(LogBase);

    readonly float[] _weights;

    public MixtureWeights(int senones, int features, int codewords)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(senones, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(codewords, 1);
        Senones = senones;
        Features = features;
        Codewords = codewords;
        _weights = new float[checked(senones * features * codewords)];
    }

    public int Senones { get; }
    public int Features { get; }
    public int Codewords { get; }

    public float this[int senone, int feature, int codeword]
    {
        get => _weights[Index(senone, feature, codeword)];
        set => _weights[Index(senone, feature, codeword)] = value;
    }

    int Index(int senone, int feature, int codeword) => (senone * Features + feature) * Codewords + codeword;

    /// <summary>Reads a pocketsphinx `sendump` (unclustered, as mk_s2sendump -pocketsphinx writes it).</summary>
    /// <exception cref="InvalidDataException">Not a sendump this reader understands.</exception>
    public static MixtureWeights ReadSendump(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var position = 0;
        bool? bigEndian = null;
        int ReadInt32()
        {
            if (position + 4 > bytes.Length) throw new InvalidDataException($"{path}: the sendump ends inside its header");
            var little = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(position));
            // The byte order is not marked: the first string's length tells it (a header string
            // is never longer than 64 KiB, so a little-endian reading that large is big-endian).
            bigEndian ??= (uint)little > 65536;
            position += 4;
            return bigEndian.Value ? BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(position - 4)) : little;
        }

        int shift = DefaultShift, features = 0, clusters = 0;
        while (true)
        {
            var length = ReadInt32();
            if (length == 0) break;
            if (length < 0 || position + length > bytes.Length)
                throw new InvalidDataException($"{path}: the sendump's header is damaged");
            var line = Encoding.ASCII.GetString(bytes, position, length).TrimEnd('\0');
            position += length;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2 || !int.TryParse(parts[1], out var value)) continue;
            switch (parts[0])
            {
                case "mixw_shift": shift = value; break;
                case "feature_count": features = value; break;
                case "cluster_count": clusters = value; break;
            }
        }
        if (clusters != 0)
            throw new InvalidDataException($"{path}: a clustered sendump (cluster_count {clusters}) cannot be converted");
        if (features <= 0) throw new InvalidDataException($"{path}: the sendump names no feature_count");
        var codewords = ReadInt32();
        var senones = ReadInt32();
        if (codewords <= 0 || senones <= 0 || bytes.Length - position != (long)features * codewords * senones)
            throw new InvalidDataException(
                $"{path}: {bytes.Length - position} bytes of weights, expected {features} × {codewords} × {senones}");

        // Every byte value has one weight: 1.0001^-(byte << shift).
        var weightOf = new float[256];
        for (var q = 0; q < 256; q++) weightOf[q] = (float)Math.Pow(LogBase, -(double)(q << shift));
        var weights = new MixtureWeights(senones, features, codewords);
        for (var f = 0; f < features; f++)
        for (var c = 0; c < codewords; c++)
        for (var s = 0; s < senones; s++)
            weights[s, f, c] = weightOf[bytes[position++]];
        return weights;
    }

    /// <summary>
    /// Writes a pocketsphinx `sendump`: each weight floored at <paramref name="floor"/>, then its
    /// log in base 1.0001 truncated to an integer and shifted right by 10 bits (rounding towards
    /// the smaller weight), negated into a byte. The weights are not renormalized: a weight read
    /// from a sendump is written back as the byte it came from.
    /// </summary>
    public void WriteSendump(string path, double floor = SendumpFloor)
    {
        if (floor is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(floor), floor, "the floor must be between 0 and 1");
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        using var writer = new BinaryWriter(stream);
        void WriteString(string text)
        {
            var bytes = Encoding.ASCII.GetBytes(text + "\0");
            writer.Write(bytes.Length);
            writer.Write(bytes);
        }
        WriteString("pocketsphinx mixture weights: (int32 length, string) header lines up to a length of 0, "
            + "then int32 codewords, int32 senones, then for each feature and codeword one byte a senone: "
            + "-(log base 1.0001 of the weight) >> mixw_shift");
        WriteString("cluster_count 0");
        WriteString("codebook_count 1");
        WriteString($"feature_count {Features}");
        WriteString($"mixw_shift {DefaultShift}");
        // Padding, so that the weights start on a 4-byte boundary (pocketsphinx may map the file).
        var padding = (int)((4 - (stream.Position + 4) % 4) % 4);
        if (padding > 0)
        {
            writer.Write(padding);
            writer.Write(Encoding.ASCII.GetBytes(new string('!', padding - 1) + "\0"));
        }
        writer.Write(0);
        writer.Write(Codewords);
        writer.Write(Senones);

        var row = new byte[Senones];
        for (var f = 0; f < Features; f++)
        for (var c = 0; c < Codewords; c++)
        {
            for (var s = 0; s < Senones; s++) row[s] = Quantize(Math.Max(this[s, f, c], floor));
            writer.Write(row);
        }
    }

    static byte Quantize(double weight)
    {
        // Truncation towards zero, then an arithmetic shift (towards minus infinity), as
        // sphinxbase's logmath does: a weight of exactly 1.0001^-(q << 10) is byte q again.
        var log = (long)(Math.Log(weight) / LnBase);
        return (byte)Math.Clamp(-(log >> DefaultShift), 0, 255);
    }

    /// <summary>Writes sphinxtrain's `mixture_weights` (the Sphinx-3 binary parameter file), as bw and map_adapt read it.</summary>
    public void WriteSphinx3(string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        using var writer = new BinaryWriter(stream);
        var header = "s3\nversion 1.0\n";
        // The array starts on a 4-byte boundary: spaces before "endhdr" make it so.
        var padding = (4 - (header.Length + "endhdr\n".Length) % 4) % 4;
        writer.Write(Encoding.ASCII.GetBytes(header + new string(' ', padding) + "endhdr\n"));
        writer.Write(ByteOrderMark);
        writer.Write(Senones);
        writer.Write(Features);
        writer.Write(Codewords);
        writer.Write(_weights.Length);
        var bytes = new byte[_weights.Length * 4];
        Buffer.BlockCopy(_weights, 0, bytes, 0, bytes.Length);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian machines are not supported");
        writer.Write(bytes);
    }

    /// <summary>Reads sphinxtrain's `mixture_weights` (as map_adapt writes it), in either byte order, with or without a checksum.</summary>
    /// <exception cref="InvalidDataException">Not a Sphinx-3 mixture weight file.</exception>
    public static MixtureWeights ReadSphinx3(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var headerEnd = bytes.AsSpan().IndexOf("endhdr\n"u8);
        if (!bytes.AsSpan().StartsWith("s3\n"u8) || headerEnd < 0)
            throw new InvalidDataException($"{path}: not a Sphinx-3 parameter file (no s3 header)");
        var position = headerEnd + "endhdr\n".Length;
        if (position + 20 > bytes.Length) throw new InvalidDataException($"{path}: the file ends after its header");
        var swap = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(position)) switch
        {
            ByteOrderMark => false,
            0x44332211 => true,
            var mark => throw new InvalidDataException($"{path}: byte-order mark {mark:x8} is not valid"),
        };
        position += 4;
        int ReadInt32()
        {
            var value = swap ? BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(position)) : BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(position));
            position += 4;
            return value;
        }
        var senones = ReadInt32();
        var features = ReadInt32();
        var codewords = ReadInt32();
        var count = ReadInt32();
        if (senones <= 0 || features <= 0 || codewords <= 0 || count != (long)senones * features * codewords
            || bytes.Length - position < (long)count * 4)
            throw new InvalidDataException($"{path}: {count} weights do not fill {senones} × {features} × {codewords}");
        var weights = new MixtureWeights(senones, features, codewords);
        for (var i = 0; i < count; i++, position += 4)
        {
            var bits = swap ? BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(position)) : BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(position));
            weights._weights[i] = BitConverter.Int32BitsToSingle(bits);
        }
        return weights;
    }
}
