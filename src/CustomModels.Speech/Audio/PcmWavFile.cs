using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace CustomModels.Speech.Audio;

/// <summary>
/// Recognizes a WAV file that already is what the decoder reads (RIFF/WAVE, PCM, 16 kHz, mono,
/// 16-bit little-endian) from its header, so that its samples can be read straight from the file
/// with no ffprobe or ffmpeg process. Only plain, consistent headers qualify: anything else
/// (another rate or layout, compressed or float data, RF64, a data chunk whose size is 0, odd or
/// past the end of the file) is left to ffmpeg, which then reads exactly what it did before.
/// </summary>
internal static class PcmWavFile
{
    private const ushort FormatPcm = 1;
    private const ushort FormatExtensible = 0xFFFE;
    private const int MaxChunks = 64;

    // KSDATAFORMAT_SUBTYPE_PCM: 00000001-0000-0010-8000-00aa00389b71, as stored in the file.
    private static ReadOnlySpan<byte> PcmSubFormat =>
        [0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71];

    /// <summary>
    /// The offset and length of the samples when <paramref name="file"/> is 16 kHz mono 16-bit PCM
    /// WAV with a plain header; false for anything else (ffmpeg's job).
    /// </summary>
    public static bool TryFindSamples(SafeFileHandle file, int sampleRate, out long dataOffset, out long dataLength)
    {
        dataOffset = dataLength = 0;
        var length = RandomAccess.GetLength(file);
        Span<byte> header = stackalloc byte[40];
        if (ReadFully(file, header[..12], 0) < 12
            || !header[..4].SequenceEqual("RIFF"u8) || !header[8..12].SequenceEqual("WAVE"u8))
            return false;

        var position = 12L;
        var formatOk = false;
        for (var chunk = 0; chunk < MaxChunks && position + 8 <= length; chunk++)
        {
            if (ReadFully(file, header[..8], position) < 8) return false;
            var id = header[..4];
            var size = (long)BinaryPrimitives.ReadUInt32LittleEndian(header[4..8]);
            var body = position + 8;
            if (id.SequenceEqual("fmt "u8))
            {
                if (size < 16 || size > header.Length || body + size > length) return false;
                var format = header[..(int)size];
                if (ReadFully(file, format, body) < format.Length) return false;
                formatOk = IsMono16BitPcm(format, sampleRate);
                if (!formatOk) return false;
            }
            else if (id.SequenceEqual("data"u8))
            {
                // A header written before the length was known (0 or 0xFFFFFFFF), or one that
                // promises more than the file holds: ffmpeg's rules decide what is audio.
                if (!formatOk || size == 0 || size % 2 != 0 || body + size > length) return false;
                dataOffset = body;
                dataLength = size;
                return true;
            }
            position = body + size + (size & 1);
        }
        return false;
    }

    private static int ReadFully(SafeFileHandle file, Span<byte> buffer, long offset)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = RandomAccess.Read(file, buffer[total..], offset + total);
            if (read == 0) break;
            total += read;
        }
        return total;
    }

    private static bool IsMono16BitPcm(ReadOnlySpan<byte> format, int sampleRate)
    {
        var tag = BinaryPrimitives.ReadUInt16LittleEndian(format);
        var channels = BinaryPrimitives.ReadUInt16LittleEndian(format[2..]);
        var rate = BinaryPrimitives.ReadUInt32LittleEndian(format[4..]);
        var byteRate = BinaryPrimitives.ReadUInt32LittleEndian(format[8..]);
        var blockAlign = BinaryPrimitives.ReadUInt16LittleEndian(format[12..]);
        var bits = BinaryPrimitives.ReadUInt16LittleEndian(format[14..]);
        if (channels != 1 || rate != sampleRate || bits != 16 || blockAlign != 2 || byteRate != sampleRate * 2)
            return false;
        if (tag == FormatPcm) return true;
        // WAVE_FORMAT_EXTENSIBLE: cbSize 22, 16 valid bits, PCM sub-format.
        return tag == FormatExtensible && format.Length >= 40
               && BinaryPrimitives.ReadUInt16LittleEndian(format[16..]) >= 22
               && BinaryPrimitives.ReadUInt16LittleEndian(format[18..]) == 16
               && format[24..40].SequenceEqual(PcmSubFormat);
    }
}
