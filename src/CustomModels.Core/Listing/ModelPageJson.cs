using System.Buffers;
using System.Globalization;
using CustomModels.Core.Models;

namespace CustomModels.Core.Listing;

/// <summary>
/// The list page: `{"count":…,"total_results":…,"result":[…]}`, whose items are the model's
/// response (<see cref="ModelResponse"/>) as GET answers it. Each item is its `id` and `model_key`,
/// written here as the serializer writes them, followed by the rest of the response, which is
/// stored with the model (<see cref="ModelJson.Listed"/>), so that a page is mostly copied. One
/// writer per page; its buffer is pooled, and goes back when the page has been written out.
/// </summary>
public sealed class ModelPageJson : IDisposable
{
    // A page is some 50 kB: its buffer is rented rather than allocated for every request. The shared
    // array pool keeps arrays per core and thread, as many as the requests under way need, and lets
    // the GC trim them when idle (a bounded object pool kept 4, and most busy requests allocated).
    const int FirstCapacity = 64 * 1024;
    byte[]? rows = ArrayPool<byte>.Shared.Rent(FirstCapacity);
    int written;
    int count;
    readonly byte[] head = new byte[80];
    int headLength;

    /// <summary>Adds model <paramref name="id"/>, whose listed JSON is <paramref name="listedJson"/>.</summary>
    public void Add(long id, ReadOnlySpan<byte> listedJson)
    {
        var span = Space(80 + listedJson.Length);
        var length = 0;
        Append(span, ref length, count == 0 ? "[{\"id\":"u8 : ",{\"id\":"u8);
        id.TryFormat(span[length..], out var digits, provider: CultureInfo.InvariantCulture);
        length += digits;
        Append(span, ref length, ",\"model_key\":\"custom_model_"u8);
        id.TryFormat(span[length..], out digits, provider: CultureInfo.InvariantCulture);
        length += digits;
        Append(span, ref length, "\","u8);
        Append(span, ref length, listedJson);
        written += length;
        count++;
    }

    /// <summary>At least <paramref name="size"/> free bytes after what is written, in a larger array if need be.</summary>
    Span<byte> Space(int size)
    {
        if (rows!.Length - written < size)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(rows.Length * 2, written + size));
            rows.AsSpan(0, written).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(rows);
            rows = larger;
        }
        return rows.AsSpan(written);
    }

    /// <summary>Empties the page, to be written again from its first model.</summary>
    public void Clear()
    {
        written = 0;
        count = 0;
    }

    /// <summary>Ends the page, of <see cref="Length"/> bytes; <paramref name="total"/> is its `total_results`.</summary>
    public void Finish(long total)
    {
        var end = count == 0 ? "[]}"u8 : "]}"u8;
        end.CopyTo(Space(end.Length));
        written += end.Length;
        Append(head, ref headLength, "{\"count\":"u8);
        count.TryFormat(head.AsSpan(headLength), out var n, provider: CultureInfo.InvariantCulture);
        headLength += n;
        Append(head, ref headLength, ",\"total_results\":"u8);
        total.TryFormat(head.AsSpan(headLength), out n, provider: CultureInfo.InvariantCulture);
        headLength += n;
        Append(head, ref headLength, ",\"result\":"u8);
    }

    public int Length => headLength + written;

    /// <summary>Copies the finished page to <paramref name="body"/> and gives its buffer back.</summary>
    public void WriteTo(IBufferWriter<byte> body)
    {
        body.Write(head.AsSpan(0, headLength));
        body.Write(rows.AsSpan(0, written));
        Dispose();
    }

    public void Dispose()
    {
        if (rows is null) return;
        ArrayPool<byte>.Shared.Return(rows);
        rows = null;
    }

    static void Append(Span<byte> to, ref int length, ReadOnlySpan<byte> text)
    {
        text.CopyTo(to[length..]);
        length += text.Length;
    }
}
