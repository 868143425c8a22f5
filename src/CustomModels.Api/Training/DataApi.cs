using CustomModels.Api.Auth;
using CustomModels.Api.Errors;
using CustomModels.Api.Models;
using CustomModels.Core;
using CustomModels.Core.Data;
using CustomModels.Core.Models;
using CustomModels.Core.Storage;
using CustomModels.Core.Training;
using CustomModels.Core.Recognition;
using CustomModels.Speech.Audio;
using CustomModels.Speech.Lexicon;
using CustomModels.Speech.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CustomModels.Api.Training;

public sealed record UploadResponse(string Message, string DataType, long DataId, string Filename, string TranscriptFilename, int TrainingStatus);

/// <param name="EntryCount">A pronunciation file's entries (lines); absent for other data.</param>
public sealed record DataSetResponse(long Id, string Type, string? Filename, string TranscriptFilename, double? DurationSeconds,
    int WordCount, string CreatedAt,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] int? EntryCount = null);

public sealed record DataSetListResponse(int Count, int TotalResults, IReadOnlyList<DataSetResponse> Result);

/// <summary>`/api/v3/custom_models/{id}/data`: upload, list and delete training data.</summary>
public static class DataApi
{
    /// <summary>The upload's parts: the data set's type (either name), its audio and its transcript, or a pronunciation file.</summary>
    public static readonly UploadParts Parts = new(new Dictionary<string, int> { ["type"] = 16, ["data_type"] = 16 },
        ["audio_file", "transcript_file", "pronunciation_file"]);

    public static IEndpointRouteBuilder MapTrainingData(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v3/custom_models/{id}/data").WithTags("Training data");
        group.MapMethods("", [HttpMethods.Put, HttpMethods.Post], Upload).RequireAuthorization(Scopes.ModelsWrite)
            .WithSummary("Upload an audio file with its transcript, or a text-only corpus").DisableAntiforgery();
        group.MapGet("", List).RequireAuthorization(Scopes.ModelsRead).WithSummary("List the model's data sets");
        group.MapDelete("{dataId}", Delete).RequireAuthorization(Scopes.ModelsWrite).WithSummary("Delete one data set");
        return app;
    }

    public static async Task<Results<Ok<UploadResponse>, ApiError>> Upload(string id, HttpContext context, AppDbContext db,
        BlobStore blobs, IOptions<UploadLimits> limits, IOptions<AudioSettings> audioLimits, ModelTraining training, TimeProvider time,
        Recognizers recognizers, Pronouncers pronouncers)
    {
        var model = await ModelsApi.FindAsync(db, context, id, track: false);
        if (model is null) return ApiError.ModelNotFound();
        if (model.TrainingStatus == TrainingStatus.Running) return ApiError.ModelTraining();

        using var upload = new UploadReader(blobs, limits, Parts);
        upload.RaiseBodyLimit(context);
        var ct = context.RequestAborted;
        try
        {
            var (kind, audio, transcript) = await ReadRequestAsync(context, upload, ct);
            var words = kind == DataSetKind.Pronunciation
                ? CheckPronunciations(transcript, model.Language, recognizers, pronouncers)
                : CountWords(transcript);
            var duration = audio is null ? (double?)null : await ProbeAsync(audio, audioLimits.Value.MaxSeconds, ct);
            // The whole body is in and checked: a client that goes away now does not cut the storing short
            // (as with /stt), which would only roll back a transaction and log that as a database error.
            return await StoreAsync(db, blobs, training, time, model, kind, audio, transcript, words, duration, CancellationToken.None);
        }
        catch (UploadRejected rejected)
        {
            return rejected.Error;
        }
    }

    static async Task<(DataSetKind Kind, UploadedFile? Audio, UploadedFile Transcript)> ReadRequestAsync(
        HttpContext context, UploadReader upload, CancellationToken ct)
    {
        var request = context.Request;
        if (request.HasFormContentType && request.ContentType!.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase))
        {
            await upload.ReadMultipartAsync(request.ContentType, request.Body, ct);
            var errors = upload.Errors;
            var type = upload.Fields.GetValueOrDefault("type") ?? upload.Fields.GetValueOrDefault("data_type") ?? request.Query["type"].FirstOrDefault();
            DataSetKind? kind = ParseKind(type);
            if (kind is null) errors.TryAdd("type", "Must be train, test or pronunciation");
            if (kind == DataSetKind.Pronunciation)
            {
                if (!upload.Files.TryGetValue("pronunciation_file", out var pronunciations)) errors.TryAdd("pronunciation_file", "Required for type=pronunciation");
                foreach (var part in new[] { "audio_file", "transcript_file" })
                    if (upload.Files.ContainsKey(part)) errors.TryAdd(part, "Not allowed with type=pronunciation");
                if (errors.Count > 0) throw new UploadRejected(ApiError.InvalidBody(errors));
                return (DataSetKind.Pronunciation, null, pronunciations!);
            }
            if (upload.Files.ContainsKey("pronunciation_file")) errors.TryAdd("pronunciation_file", "Only with type=pronunciation");
            upload.Files.TryGetValue("audio_file", out var audio);
            if (!upload.Files.TryGetValue("transcript_file", out var transcript)) errors.TryAdd("transcript_file", "Required");
            if (kind == DataSetKind.Test && audio is null) errors.TryAdd("audio_file", "Required for test data: it is decoded to measure the model");
            if (errors.Count > 0) throw new UploadRejected(ApiError.InvalidBody(errors));
            return (kind!.Value, audio, transcript!);
        }
        if (request.ContentType?.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase) == true)
        {
            // The older form: ?data_type=1 (training text) or 2 (test text), name in x-filename.
            var kind = request.Query["data_type"].FirstOrDefault() switch { "1" => DataSetKind.Train, "2" => DataSetKind.Test, _ => (DataSetKind?)null };
            if (kind is null)
                throw new UploadRejected(ApiError.InvalidQuery(new Dictionary<string, string> { ["data_type"] = "Must be 1 (training text) or 2 (test text)" }));
            var name = request.Headers["x-filename"].FirstOrDefault() ?? "transcript.txt";
            return (kind.Value, null, await upload.ReadWholeBodyAsync(request.Body, name, ct));
        }
        throw new UploadRejected(ApiError.UnsupportedMediaType("multipart/form-data (or text/plain with ?data_type=1|2)"));
    }

    static string TypeName(DataSetKind kind) => kind switch
    {
        DataSetKind.Train => "train",
        DataSetKind.Test => "test",
        _ => "pronunciation",
    };

    static DataSetKind? ParseKind(string? type) => type?.ToLowerInvariant() switch
    {
        "train" or "1" => DataSetKind.Train,
        "test" or "2" => DataSetKind.Test,
        "pronunciation" => DataSetKind.Pronunciation,
        _ => null,
    };

    /// <summary>
    /// A pronunciation file's entry count; a malformed line, an unknown phone or an unpronounceable
    /// spoken form is a 422 listing every such line (up to <see cref="PronunciationFile.MaxErrorsListed"/>) in `details`.
    /// </summary>
    static int CheckPronunciations(UploadedFile file, string language, Recognizers recognizers, Pronouncers pronouncers)
    {
        var settings = recognizers.Find(language) ?? throw new UploadRejected(ApiError.Conflict(
            $"Language '{language}' cannot be trained here: no recognizer for it is installed, so its phones are unknown", "LANGUAGE_NOT_TRAINABLE"));
        IReadOnlyList<PronunciationEntry> entries;
        IReadOnlyList<PronunciationLineError> errors;
        try
        {
            (entries, errors) = PronunciationFile.Parse(file.TempPath, AcousticPhoneSet.Load(settings.AcousticModelPath).Phones,
                word => pronouncers.CanPronounce(settings, word));
        }
        catch (TranscriptEncodingException e)
        {
            throw new UploadRejected(new ApiError(StatusCodes.Status422UnprocessableEntity,
                $"Pronunciation file '{file.FileName}' is not UTF-8 text: {e.Message}", "INVALID_PRONUNCIATIONS"));
        }
        if (errors.Count > 0)
            throw new UploadRejected(new ApiError(StatusCodes.Status422UnprocessableEntity,
                errors[0].Line == 0
                    ? $"Pronunciation file '{file.FileName}' has no entries"
                    : $"Pronunciation file '{file.FileName}' has errors on line{(errors.Count > 1 ? "s" : "")} {string.Join(", ", errors.Select(e => e.Line))}",
                "INVALID_PRONUNCIATIONS",
                errors.ToDictionary(e => e.Line == 0 ? "pronunciation_file" : $"line {e.Line}", e => e.Message)));
        return entries.Count;
    }

    static int CountWords(UploadedFile transcript)
    {
        int words;
        try
        {
            words = TranscriptNormalizer.ReadLines(transcript.TempPath).Sum(line => TranscriptNormalizer.Words(line).Count);
        }
        catch (TranscriptEncodingException e)
        {
            throw new UploadRejected(new ApiError(StatusCodes.Status422UnprocessableEntity,
                $"Transcript '{transcript.FileName}' is not UTF-8 text: {e.Message}", "INVALID_TRANSCRIPT"));
        }
        if (words == 0)
            throw new UploadRejected(new ApiError(StatusCodes.Status422UnprocessableEntity,
                $"Transcript '{transcript.FileName}' has no words", "EMPTY_TRANSCRIPT"));
        return words;
    }

    /// <summary>The audio's duration; undecodable or too long audio is a 422 naming the client's file, never our temporary one.</summary>
    internal static async Task<double> ProbeAsync(UploadedFile audio, double maxSeconds, CancellationToken ct)
    {
        try
        {
            var info = await AudioProbe.ProbeAsync(audio.TempPath, ct);
            if (info.DurationSeconds > maxSeconds)
                throw new UploadRejected(new ApiError(StatusCodes.Status422UnprocessableEntity,
                    $"Audio file '{audio.FileName}' is {info.DurationSeconds:0} s long; the limit is {maxSeconds:0} s", "AUDIO_TOO_LONG"));
            if (info.DurationSeconds > 0) return info.DurationSeconds;
        }
        catch (AudioDecodeException e)
        {
            // ffprobe names the file it read: put the client's name where our temporary one stood.
            var reason = e.Message.Replace("audio file could not be decoded: ", "")
                .Replace(audio.TempPath, audio.FileName).Replace(Path.GetFileName(audio.TempPath), audio.FileName);
            throw new UploadRejected(new ApiError(StatusCodes.Status422UnprocessableEntity,
                $"Audio file '{audio.FileName}' could not be decoded: {reason}", "UNDECODABLE_AUDIO"));
        }
        throw new UploadRejected(new ApiError(StatusCodes.Status422UnprocessableEntity,
            $"Audio file '{audio.FileName}' has no audio", "UNDECODABLE_AUDIO"));
    }

    /// <summary>Files into place first, then the row: a committed row always points at whole files.</summary>
    static async Task<Results<Ok<UploadResponse>, ApiError>> StoreAsync(AppDbContext db, BlobStore blobs, ModelTraining training, TimeProvider time, CustomModel model,
        DataSetKind kind, UploadedFile? audio, UploadedFile transcript, int words, double? duration, CancellationToken ct)
    {
        var name = Guid.NewGuid().ToString("N");
        var transcriptBlob = StorageLayout.DataTranscript(model.Id, name);
        var audioBlob = audio is null ? null : StorageLayout.DataAudio(model.Id, name);
        var now = time.UtcNowToSecond();
        var row = new TrainingDataSet
        {
            ModelId = model.Id, Kind = kind, AudioFileName = audio?.FileName, TranscriptFileName = transcript.FileName,
            AudioBlob = audioBlob, TranscriptBlob = transcriptBlob, AudioSeconds = duration, WordCount = words, CreatedAt = now,
        };
        var committed = false;
        TrainingStatus status;
        try
        {
            blobs.Publish(transcript.TempPath, transcriptBlob);
            if (audio is not null) blobs.Publish(audio.TempPath, audioBlob!);
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var added = await training.DataAddedAsync(db, model.Id, kind, ct);
            if (!added.Done) return added.ModelExists ? ApiError.ModelTraining() : ApiError.ModelNotFound();
            status = added.Status!.Value;
            db.DataSets.Add(row);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            committed = true;
        }
        finally
        {
            if (!committed)
            {
                blobs.DeleteQuietly(transcriptBlob);
                blobs.DeleteQuietly(audioBlob);
            }
        }
        return TypedResults.Ok(new UploadResponse("Training data uploaded successfully", TypeName(kind),
            row.Id, audio?.FileName ?? transcript.FileName, transcript.FileName, (int)status));
    }

    public static async Task<Results<Ok<DataSetListResponse>, ApiError>> List(string id, HttpContext context, AppDbContext db)
    {
        var model = await ModelsApi.FindAsync(db, context, id, track: false);
        if (model is null) return ApiError.ModelNotFound();
        var sets = await db.DataSets.AsNoTracking().Where(d => d.ModelId == model.Id).OrderBy(d => d.Id).ToListAsync(context.RequestAborted);
        var result = sets.Select(d => new DataSetResponse(d.Id, TypeName(d.Kind), d.AudioFileName,
            d.TranscriptFileName, d.AudioSeconds is { } s ? Math.Round(s, 2) : null, d.Kind == DataSetKind.Pronunciation ? 0 : d.WordCount,
            ModelMapping.Timestamp(d.CreatedAt), d.Kind == DataSetKind.Pronunciation ? d.WordCount : null)).ToList();
        return TypedResults.Ok(new DataSetListResponse(result.Count, result.Count, result));
    }

    public static async Task<Results<NoContent, ApiError>> Delete(string id, string dataId, HttpContext context, AppDbContext db,
        BlobStore blobs, ModelTraining training)
    {
        var model = await ModelsApi.FindAsync(db, context, id, track: false);
        if (model is null) return ApiError.ModelNotFound();
        var ct = context.RequestAborted;
        var data = ModelsApi.TryParseId(dataId, out var dataSetId)
            ? await db.DataSets.AsNoTracking().FirstOrDefaultAsync(d => d.Id == dataSetId && d.ModelId == model.Id, ct)
            : null;
        if (data is null) return new ApiError(StatusCodes.Status404NotFound, "Data set not found", "DATA_NOT_FOUND");
        if (model.TrainingStatus == TrainingStatus.Running) return ApiError.ModelTraining();

        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            await db.DataSets.Where(d => d.Id == data.Id).ExecuteDeleteAsync(ct);
            var removed = await training.DataRemovedAsync(db, model.Id, ct);
            if (!removed.Done) return removed.ModelExists ? ApiError.ModelTraining() : ApiError.ModelNotFound();
            await transaction.CommitAsync(ct);
        }
        blobs.DeleteQuietly(data.TranscriptBlob);
        blobs.DeleteQuietly(data.AudioBlob);
        return TypedResults.NoContent();
    }
}
