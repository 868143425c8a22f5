using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace CustomModels.Core.Models;

/// <summary>
/// The list page: `{"count":…,"total_results":…,"result":[…]}`, whose items are the bytes the
/// serializer writes for the API's single-model response (the list tests compare them with GET's).
/// Each item is its id and model key followed by the model's listed JSON (<see cref="Render"/>), which
/// is stored with the model, so that a page is mostly copied. One writer per page; its buffer is
/// pooled, and goes back when the page has been written out.
/// </summary>
public sealed class ModelPageJson : IDisposable
{
    static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    static readonly JsonEncodedText Name = JsonEncodedText.Encode("name"), Description = JsonEncodedText.Encode("description"),
        Language = JsonEncodedText.Encode("language"), BaseModel = JsonEncodedText.Encode("base_model"),
        TrainingStatus = JsonEncodedText.Encode("training_status"), StatusMessage = JsonEncodedText.Encode("status_message"),
        TrainingProgress = JsonEncodedText.Encode("training_progress"), CreatedAt = JsonEncodedText.Encode("created_at"),
        UpdatedAt = JsonEncodedText.Encode("updated_at"), StartedTrainingAt = JsonEncodedText.Encode("started_training_at"),
        FinishedTrainingAt = JsonEncodedText.Encode("finished_training_at"), FailedAt = JsonEncodedText.Encode("failed_at"),
        Error = JsonEncodedText.Encode("error"), TrainingMetrics = JsonEncodedText.Encode("training_metrics"),
        WordErrorRate = JsonEncodedText.Encode("word_error_rate"), AccuracyImprovement = JsonEncodedText.Encode("accuracy_improvement"),
        CharacterErrorRate = JsonEncodedText.Encode("character_error_rate"), TrainingHours = JsonEncodedText.Encode("training_hours"),
        BaseWordErrorRate = JsonEncodedText.Encode("base_word_error_rate"), ActiveVersion = JsonEncodedText.Encode("active_version");

    /// <summary>
    /// The model's fields after `id` and `model_key`, in the model response's order under
    /// <see cref="ModelRules"/>, as JSON: `"name":…,…}` (the object's closing brace included). It
    /// leaves out the id, so that a model is rendered before the database has given it one.
    /// Changing what this writes means a migration that clears the stored texts (SET "ListedJson" = NULL).
    /// </summary>
    public static byte[] Render(CustomModel m)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            var status = m.TrainingStatus;
            var hasResult = ModelRules.HasResult(status, m.FinishedTrainingAt is not null);
            var failed = status == Models.TrainingStatus.Failed;
            w.WriteStartObject();
            w.WriteString(Name, m.Name);
            if (m.Description is null) w.WriteNull(Description); else w.WriteString(Description, m.Description);
            w.WriteString(Language, m.Language);
            w.WriteString(BaseModel, m.BaseModel);
            w.WriteNumber(TrainingStatus, (int)status);
            w.WriteString(StatusMessage, Catalog.StatusMessage(status, m.TrainingError, m.StatusNote));
            if (status is Models.TrainingStatus.Running or Models.TrainingStatus.Success)
                w.WriteNumber(TrainingProgress, m.TrainingProgress ?? 0);
            WriteTime(w, CreatedAt, m.CreatedAt);
            WriteTime(w, UpdatedAt, m.UpdatedAt);
            if (m.StartedTrainingAt is { } started) WriteTime(w, StartedTrainingAt, started);
            if (hasResult && m.FinishedTrainingAt is { } finished) WriteTime(w, FinishedTrainingAt, finished);
            if (failed && m.FailedAt is { } failedAt) WriteTime(w, FailedAt, failedAt);
            if (failed && m.TrainingError is { } error) w.WriteString(Error, error);
            if (hasResult && ModelRules.HasMetrics(m.WordErrorRate, m.CharacterErrorRate, m.TrainingHours, m.BaseWordErrorRate))
            {
                w.WriteStartObject(TrainingMetrics);
                WriteRounded(w, WordErrorRate, m.WordErrorRate, 1);
                WriteRounded(w, AccuracyImprovement, m.AccuracyImprovement, 1);
                WriteRounded(w, CharacterErrorRate, m.CharacterErrorRate, 1);
                WriteRounded(w, TrainingHours, m.TrainingHours, 2);
                WriteRounded(w, BaseWordErrorRate, m.BaseWordErrorRate, 1);
                w.WriteEndObject();
            }
            if (m.ActiveVersion is { } version) w.WriteNumber(ActiveVersion, version);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan[1..].ToArray(); // without the opening brace: the page writes it, before the id
    }

    static void WriteTime(Utf8JsonWriter w, JsonEncodedText name, DateTime utc)
    {
        Span<byte> text = stackalloc byte[20];
        ModelRules.FormatTimestamp(utc, text);
        w.WriteString(name, text);
    }

    static void WriteRounded(Utf8JsonWriter w, JsonEncodedText name, double? value, int digits)
    {
        if (value is { } v) w.WriteNumber(name, ModelRules.Round(v, digits));
    }

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
