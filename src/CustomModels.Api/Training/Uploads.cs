using System.Text;
using CustomModels.Api.Errors;
using CustomModels.Core.Storage;
using CustomModels.Speech.Settings;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace CustomModels.Api.Training;

/// <summary>How large one uploaded file may be (CUSTOMMODELS_MAX_UPLOAD_BYTES, default 2 GiB); settings (see SettingsOptions).</summary>
public sealed class UploadLimits
{
    public long MaxFileBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    public void Read(SettingsReader settings) => MaxFileBytes = settings.Long("CUSTOMMODELS_MAX_UPLOAD_BYTES", MaxFileBytes);
}

/// <summary>
/// The parts a multipart endpoint reads: its text fields, each with the most characters it may
/// have, and its file parts. Any other part is refused, so that a request cannot make the service
/// keep files or text it never asked for.
/// </summary>
public sealed record UploadParts(IReadOnlyDictionary<string, int> Fields, IReadOnlyList<string> Files)
{
    /// <summary>Room for the part headers, boundaries and text fields beside the files.</summary>
    const long OverheadBytes = 1024 * 1024;

    /// <summary>The largest body a request to the endpoint can need: every file at the file limit, and the overhead.</summary>
    public long MaxRequestBytes(UploadLimits limits) => Math.Max(1, Files.Count) * limits.MaxFileBytes + OverheadBytes;

    public string Expected => string.Join(", ", Fields.Keys.Concat(Files));
}

/// <summary>An uploaded file streamed to a temporary path; the client's name is a label only.</summary>
public sealed record UploadedFile(string TempPath, string FileName, long Bytes);

/// <summary>A request body part that broke a rule; answered as an API error after cleaning up.</summary>
public sealed class UploadRejected(ApiError error) : Exception(error.ErrorCode)
{
    public ApiError Error { get; } = error;
}

/// <summary>Writing an upload to the data folder failed (ENOSPC, usually); the error handler answers 507 or 500.</summary>
public sealed class UploadStorageException(IOException inner) : Exception("writing an upload to the data folder failed: " + inner.Message, inner);

/// <summary>
/// Streams request bodies to temporary files, never holding a file in memory, and keeps track
/// of them so that a rejected request leaves nothing behind. It reads a body stream, not the
/// request, so the fuzz target (fuzz/CustomModels.Fuzz) runs this very code over any bytes.
/// </summary>
public sealed class UploadReader(BlobStore blobs, IOptions<UploadLimits> uploads, UploadParts parts) : IDisposable
{
    readonly UploadLimits limits = uploads.Value;
    readonly List<string> temps = [];
    public Dictionary<string, string> Fields { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, UploadedFile> Files { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, string> Errors { get; } = new(StringComparer.Ordinal);

    /// <summary>Uploads are large by nature: the request-wide cap is raised to what the endpoint's files can need, and each file is capped too.</summary>
    public void RaiseBodyLimit(HttpContext context)
    {
        var feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false }) feature.MaxRequestBodySize = parts.MaxRequestBytes(limits);
    }

    /// <exception cref="UploadRejected">The body is not multipart/form-data that this service reads.</exception>
    public async Task ReadMultipartAsync(string? contentType, Stream body, CancellationToken ct)
    {
        var boundary = MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
            ? HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value : null;
        // RFC 2046 allows 1 to 70 characters; a longer one would not even fit MultipartReader's buffer (it throws).
        if (string.IsNullOrEmpty(boundary) || boundary.Length > 70)
            throw new UploadRejected(ApiError.BadRequest("multipart/form-data needs a boundary of 1 to 70 characters", "MALFORMED_MULTIPART"));
        var reader = new MultipartReader(boundary, body) { HeadersLengthLimit = 16 * 1024, BodyLengthLimit = null };
        try
        {
            while (await reader.ReadNextSectionAsync(ct) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                    throw new UploadRejected(ApiError.BadRequest("Every part needs a Content-Disposition of form-data with a name", "MALFORMED_MULTIPART"));
                var (name, fileName) = NameAndFileName(disposition);
                if (Fields.ContainsKey(name) || Files.ContainsKey(name)) throw Refused(name, "Must be given once");
                if (parts.Files.Contains(name))
                    Files[name] = await SaveAsync(section.Body, fileName ?? name, ct);
                else if (parts.Fields.TryGetValue(name, out var maxLength))
                    Fields[name] = await ReadFieldAsync(section.Body, name, maxLength, ct);
                else
                    throw Refused(name, $"Not a part of this request (its parts: {parts.Expected})");
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException && e is not BadHttpRequestException)
        {
            throw new UploadRejected(ApiError.BadRequest("The multipart/form-data body is malformed", "MALFORMED_MULTIPART"));
        }
    }

    static UploadRejected Refused(string name, string reason) =>
        new(ApiError.InvalidBody(new Dictionary<string, string> { [name.Length == 0 ? "(unnamed part)" : name] = reason }));

    /// <summary>A text field, whole: one longer than its limit is refused, never cut short (nor read further than the limit).</summary>
    static async Task<string> ReadFieldAsync(Stream body, string name, int maxLength, CancellationToken ct)
    {
        // A character is at most 4 bytes of UTF-8; one byte more than that tells "too long" without reading on.
        var buffer = new byte[4 * maxLength + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(length), ct)) > 0) length += read;
        var text = System.Text.Encoding.UTF8.GetString(buffer, 0, length).Trim();
        if (length == buffer.Length || text.Length > maxLength) throw Refused(name, $"At most {maxLength} characters");
        return text;
    }

    /// <summary>
    /// The part's name, and for a file part its file name (null for a field). A parsed header can
    /// still throw when its RFC 5987 <c>filename*</c> is read (no value, or a charset such as UTF-7
    /// that .NET refuses): that is the client's malformed part, found by fuzzing the upload reader.
    /// </summary>
    static (string Name, string? FileName) NameAndFileName(ContentDispositionHeaderValue disposition)
    {
        try
        {
            var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
            if (!disposition.IsFileDisposition()) return (name, null);
            return (name, HeaderUtilities.RemoveQuotes(disposition.FileNameStar).Value
                ?? HeaderUtilities.RemoveQuotes(disposition.FileName).Value ?? name);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or FormatException)
        {
            throw new UploadRejected(ApiError.BadRequest("A part's Content-Disposition has a filename* that cannot be decoded", "MALFORMED_MULTIPART"));
        }
    }

    /// <summary>The older form: the whole body is one transcript.</summary>
    public async Task<UploadedFile> ReadWholeBodyAsync(Stream body, string fileName, CancellationToken ct) =>
        await SaveAsync(body, fileName, ct);

    async Task<UploadedFile> SaveAsync(Stream body, string fileName, CancellationToken ct)
    {
        var path = blobs.NewTempPath();
        temps.Add(path);
        long total = 0;
        var buffer = new byte[81920];
        // Our own disk failing (full, most likely) is the service's trouble, not a malformed body: it
        // leaves as UploadStorageException, which the multipart reader's catch of IOException lets through.
        FileStream file;
        try { file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous); }
        catch (IOException e) { throw new UploadStorageException(e); }
        await using (file)
        {
            int read;
            while ((read = await body.ReadAsync(buffer, ct)) > 0)
            {
                total += read;
                if (total > limits.MaxFileBytes)
                    throw new UploadRejected(new ApiError(StatusCodes.Status413PayloadTooLarge,
                        $"'{Label(fileName)}' is larger than the limit of {limits.MaxFileBytes} bytes", "PAYLOAD_TOO_LARGE"));
                try { await file.WriteAsync(buffer.AsMemory(0, read), ct); }
                catch (IOException e) { throw new UploadStorageException(e); }
            }
        }
        return new UploadedFile(path, Label(fileName), total);
    }

    /// <summary>
    /// A client's file name as a label: no control characters, a lone surrogate replaced by U+FFFD,
    /// at most 255 UTF-16 characters, cut between characters, never inside a surrogate pair (half
    /// of one is not text: PostgreSQL refuses it).
    /// </summary>
    public static string Label(string? name)
    {
        var clean = new StringBuilder();
        foreach (var rune in (name ?? "").EnumerateRunes())
            if (!Rune.IsControl(rune)) clean.Append(rune.ToString());
        var text = clean.ToString().Trim();
        if (text.Length > 255) text = text[..(char.IsHighSurrogate(text[254]) ? 254 : 255)].TrimEnd();
        return text.Length == 0 ? "unnamed" : text;
    }

    /// <summary>Deletes every temporary file that was not published.</summary>
    public void Dispose()
    {
        foreach (var path in temps) blobs.DeleteQuietly(path);
    }
}
