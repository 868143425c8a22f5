using CustomModels.Api.Training;
using CustomModels.Core.Data;
using CustomModels.Core.Storage;
using CustomModels.Speech.LanguageModel;
using CustomModels.Speech.Text;
using Microsoft.Extensions.Options;

namespace CustomModels.Fuzz;

/// <summary>A target's input broke a promise of the code under test other than "no exception".</summary>
public sealed class BrokenPromise(string promise) : Exception(promise);

/// <summary>
/// The fuzz targets. Each feeds the input to the service's own code. The contract: any input
/// either parses or is refused with the project's own exception for bad input; any other
/// exception (or a <see cref="BrokenPromise"/>) is a crash for afl-fuzz and a failure for the tests.
/// </summary>
public static class FuzzTargets
{
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>
    {
        ["arpa"] = Arpa,
        ["normalizer"] = Normalizer,
        ["multipart"] = Multipart,
    };

    /// <summary>ArpaReader: a model, or <see cref="ArpaFormatException"/>.</summary>
    public static void Arpa(byte[] input)
    {
        try
        {
            var model = ArpaReader.Read(new MemoryStream(input));
            if (model.Order < 1) throw new BrokenPromise($"a model of order {model.Order}");
        }
        catch (ArpaFormatException) { }
    }

    /// <summary>
    /// The transcript path of an upload (UTF-8 lines, then words): words, or
    /// <see cref="TranscriptEncodingException"/>. Words are never empty, hold no white space, and
    /// normalizing normalized text changes nothing (training and scoring normalize the same text
    /// at different stages).
    /// </summary>
    public static void Normalizer(byte[] input)
    {
        try
        {
            foreach (var line in TranscriptNormalizer.ReadLines(new MemoryStream(input)))
            {
                var words = TranscriptNormalizer.Words(line);
                if (words.Any(w => w.Length == 0 || w.Any(char.IsWhiteSpace)))
                    throw new BrokenPromise($"a word that is empty or holds white space in [{string.Join("|", words)}]");
                var normalized = string.Join(' ', words);
                var again = TranscriptNormalizer.Normalize(normalized);
                if (again != normalized) throw new BrokenPromise($"normalizing \"{normalized}\" again gave \"{again}\"");
            }
        }
        catch (TranscriptEncodingException) { }
    }

    /// <summary>Made at the first run, not before: instrumented code must not run before SharpFuzz has attached to afl-fuzz.</summary>
    static BlobStore Blobs => blobs ??= new(StorageSettings.Create(
        Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), "custom-models-fuzz-" + Environment.ProcessId), null));
    static BlobStore? blobs;

    /// <summary>
    /// The upload reader over a multipart body, as the service reads a request: the input's first
    /// line is the Content-Type header, the rest the body. Fields and files, or
    /// <see cref="UploadRejected"/>; either way no temporary file is left once the reader is disposed.
    /// </summary>
    public static void Multipart(byte[] input)
    {
        var newline = Array.IndexOf(input, (byte)'\n');
        var contentType = System.Text.Encoding.Latin1.GetString(input, 0, newline < 0 ? input.Length : newline).TrimEnd('\r');
        var body = newline < 0 ? [] : input[(newline + 1)..];
        using (var upload = new UploadReader(Blobs, Options.Create(new UploadLimits { MaxFileBytes = 4096 }), DataApi.Parts))
        {
            try
            {
                upload.ReadMultipartAsync(contentType, new MemoryStream(body), CancellationToken.None).GetAwaiter().GetResult();
                foreach (var file in upload.Files.Values)
                    if (new FileInfo(file.TempPath).Length != file.Bytes) throw new BrokenPromise($"'{file.FileName}' holds other than its {file.Bytes} bytes");
            }
            catch (UploadRejected) { }
        }
        var temp = Path.Combine(Blobs.Root, "tmp");
        if (Directory.Exists(temp) && Directory.EnumerateFiles(temp, "*", SearchOption.AllDirectories).FirstOrDefault() is { } left)
            throw new BrokenPromise($"the upload reader left {left} behind");
    }
}
