using System.Security.Cryptography;
using System.Text.Json;
using CustomModels.Api.Auth;
using CustomModels.Api.Errors;
using CustomModels.Api.Models;
using CustomModels.Api.Training;
using CustomModels.Core;
using CustomModels.Core.Recognition;
using CustomModels.Core.Data;
using CustomModels.Core.Jobs;
using CustomModels.Core.Models;
using CustomModels.Core.Storage;
using CustomModels.Core.Training;
using CustomModels.Core.Transcriptions;
using CustomModels.Speech.Keyterms;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CustomModels.Api.Transcription;

/// <summary>`/api/v3/stt`: send audio to transcribe, follow it, fetch the result, list and delete.</summary>
public static class TranscriptionApi
{
    const string Base = "/api/v3/stt";

    /// <summary>The request's parts (webhook_url as long as the column that keeps it).</summary>
    static readonly UploadParts Parts = new(new Dictionary<string, int> { ["language"] = 16, ["model"] = 64, ["model_version"] = 16, ["webhook_url"] = 2000, ["keyterms"] = KeytermList.MaxTextCharacters }, ["audio_file"]);

    public static IEndpointRouteBuilder MapTranscription(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Base).WithTags("Transcription");
        group.MapPost("", Create).RequireAuthorization(Scopes.SttWrite).DisableAntiforgery()
            .WithSummary("Upload audio (multipart: audio_file, language, model?, model_version?, webhook_url?, keyterms?) to transcribe");
        group.MapGet("", List).RequireAuthorization(Scopes.SttRead).Produces<TranscriptionListResponse>()
            .WithSummary("List the organization's transcriptions, oldest first");
        group.MapGet("{id}/status", Status).RequireAuthorization(Scopes.SttRead).WithSummary("uploaded, processing (with progress), done or failed (with the reason)");
        group.MapGet("{id}/result", Result).RequireAuthorization(Scopes.SttRead)
            .WithSummary("The transcript: JSON with segments and timed words, or ?format=txt|srt|vtt");
        group.MapDelete("{id}", Delete).RequireAuthorization(Scopes.SttWrite).WithSummary("Delete a transcription with its audio and result");
        return app;
    }

    public static async Task<Results<Created<TranscriptionResponse>, ApiError>> Create(HttpContext context, AppDbContext db,
        BlobStore blobs, IOptions<UploadLimits> limits, IOptions<AudioSettings> audioLimits, Recognizers recognizers, WebhookTargets targets,
        Keyterms keyterms, TimeProvider time)
    {
        var request = context.Request;
        if (!request.HasFormContentType || !request.ContentType!.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase))
            return ApiError.UnsupportedMediaType("multipart/form-data");
        var org = CurrentKey.Get(context).OrganizationId;
        var ct = context.RequestAborted;

        using var upload = new UploadReader(blobs, limits, Parts);
        upload.RaiseBodyLimit(context);
        try
        {
            await upload.ReadMultipartAsync(request.ContentType, request.Body, ct);
            var errors = upload.Errors;
            if (!upload.Files.TryGetValue("audio_file", out var audio)) errors.TryAdd("audio_file", "Required");
            var model = await ReadModelAsync(db, org, upload.Fields.GetValueOrDefault("model"), errors, ct);
            var version = await ReadModelVersionAsync(db, model, upload.Fields.GetValueOrDefault("model_version"), errors, ct);
            var language = ReadLanguage(upload.Fields.GetValueOrDefault("language"), model, recognizers, errors);
            var webhook = ReadWebhookUrl(upload.Fields.GetValueOrDefault("webhook_url"), targets, errors);
            var terms = ReadKeyterms(upload.Fields.GetValueOrDefault("keyterms"), errors);
            if (errors.Count > 0) return ApiError.InvalidBody(errors);

            var duration = await DataApi.ProbeAsync(audio!, audioLimits.Value.MaxSeconds, ct);
            var checkedTerms = terms is null ? null : await keyterms.CheckAsync(recognizers.Find(language!)!, terms, ct);
            return await StoreAsync(context, db, blobs, time, org, audio!, language!, model?.Id, version, webhook, checkedTerms, duration);
        }
        catch (UploadRejected rejected)
        {
            return rejected.Error;
        }
    }

    /// <summary>A `model_key` of the caller's organization with a trained model to serve (status 4, or retraining after one).</summary>
    static async Task<CustomModel?> ReadModelAsync(AppDbContext db, long org, string? key, Dictionary<string, string> errors, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(key)) return null;
        var model = ModelKeys.TryParse(key, out var id)
            ? await db.CustomModels.AsNoTracking().FirstOrDefaultAsync(m => m.Id == id && m.OrganizationId == org, ct)
            : null;
        if (model is null)
            errors["model"] = $"No custom model '{key}' in this organization (expected a model_key such as custom_model_123)";
        else if (model.ArtifactName is null || model.TrainingStatus is not (TrainingStatus.Success or TrainingStatus.Running))
            errors["model"] = $"Model '{key}' is not trained (training_status {(int)model.TrainingStatus}); only trained models (status 4) transcribe";
        else
            return model;
        return null;
    }

    /// <summary>
    /// The version of the model that will decode: the `model_version` asked for, or the one active now
    /// (an activation afterwards does not change it). Only with a `model`.
    /// </summary>
    static async Task<int?> ReadModelVersionAsync(AppDbContext db, CustomModel? model, string? text, Dictionary<string, string> errors, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(text))
            return model?.ActiveVersion;
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version) || version < 1)
            errors["model_version"] = "Must be a version number (an integer of at least 1)";
        else if (model is null)
        {
            if (!errors.ContainsKey("model")) errors["model_version"] = "Requires a model";
        }
        else if (!await db.ModelVersions.AnyAsync(v => v.ModelId == model.Id && v.Version == version, ct))
            errors["model_version"] = $"Model '{model.ModelKey}' has no version {version}";
        else
            return version;
        return null;
    }

    /// <summary>Required, unless a model gives it; a language with no recognizer installed cannot be transcribed here.</summary>
    static string? ReadLanguage(string? language, CustomModel? model, Recognizers recognizers, Dictionary<string, string> errors)
    {
        if (string.IsNullOrEmpty(language)) language = model?.Language;
        if (language is null)
        {
            if (!errors.ContainsKey("model")) errors.TryAdd("language", "Required");
            return null;
        }
        if (!Catalog.IsLanguage(language)) errors.TryAdd("language", "Must be one of: " + string.Join(", ", Catalog.Languages));
        else if (model is not null && model.Language != language)
            errors.TryAdd("language", $"Does not match the model's language '{model.Language}'");
        else if (recognizers.Find(language) is null)
            errors.TryAdd("language", $"No recognizer is installed for '{language}' on this service");
        return language;
    }

    /// <summary>The terms as written (null when none are given); one a line or a JSON array, within the limits.</summary>
    static IReadOnlyList<string>? ReadKeyterms(string? text, Dictionary<string, string> errors)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (!KeytermList.TryParse(text, out var terms, out var error))
        {
            errors.TryAdd("keyterms", error!);
            return null;
        }
        return terms.Count > 0 ? terms : null;
    }

    /// <summary>An http(s) URL whose host, when it is a literal address, is one webhooks may reach (names are checked at delivery).</summary>
    static Uri? ReadWebhookUrl(string? text, WebhookTargets targets, Dictionary<string, string> errors)
    {
        if (string.IsNullOrEmpty(text)) return null;
        if (!(text.Length <= 2000 && Uri.TryCreate(text, UriKind.Absolute, out var uri)
              && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && uri.Host.Length > 0 && uri.UserInfo.Length == 0
              && uri.AbsoluteUri.Length <= 2000))
            errors.TryAdd("webhook_url", "Must be an absolute http or https URL of at most 2000 characters, without credentials");
        else if (targets.RefusalOf(uri) is { } refusal)
            errors.TryAdd("webhook_url", refusal);
        else
            return uri;
        return null;
    }

    /// <summary>The audio into place first, then the row (which queues the job): a committed row always points at a whole file.</summary>
    static async Task<Results<Created<TranscriptionResponse>, ApiError>> StoreAsync(HttpContext context, AppDbContext db, BlobStore blobs, TimeProvider time,
        long org, UploadedFile audio, string language, long? modelId, int? modelVersion, Uri? webhook, IReadOnlyList<KeytermReport>? keyterms, double duration)
    {
        var publicId = "stt_" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz234567", 20);
        var folder = StorageLayout.TranscriptionFolder(publicId);
        var audioBlob = StorageLayout.TranscriptionAudio(publicId);
        var request = context.Request;
        var row = new TranscriptionJob
        {
            PublicId = publicId, OrganizationId = org, Language = language, ModelId = modelId, ModelVersion = modelVersion, AudioFileName = audio.FileName,
            AudioBlob = audioBlob, DurationSeconds = duration, CreatedAt = time.UtcNowToSecond(),
            WebhookUrl = webhook?.AbsoluteUri, WebhookHost = webhook is null ? null : WebhookTargets.HostOf(webhook),
            Keyterms = keyterms is null ? null : Keyterms.Serialize(keyterms),
            ResultUrl = $"{request.Scheme}://{request.Host}{request.PathBase}{Base}/{publicId}/result",
        };
        var committed = false;
        try
        {
            blobs.Publish(audio.TempPath, audioBlob);
            db.Transcriptions.Add(row);
            await db.SaveChangesAsync(CancellationToken.None);
            committed = true;
        }
        finally
        {
            if (!committed) blobs.DeleteQuietly(folder);
        }
        var created = row.ToResponse() with { Filename = null };
        return TypedResults.Created($"{Base}/{publicId}/status", created);
    }

    public static async Task<Results<FileContentHttpResult, ApiError>> List(HttpContext context, AppDbContext db)
    {
        var errors = new Dictionary<string, string>();
        var (page, perPage) = ListQuery.ParsePaging(context.Request.Query, errors);
        JobState? state = null;
        if (ListQuery.Single(context.Request.Query, "status", errors) is { } status && (state = TranscriptionMapping.State(status)) is null)
            errors["status"] = "Must be one of: " + string.Join(", ", TranscriptionMapping.Statuses);
        if (errors.Count > 0) return ApiError.InvalidQuery(errors);

        var org = CurrentKey.Get(context).OrganizationId;
        var rows = db.Transcriptions.AsNoTracking().Where(t => t.OrganizationId == org);
        if (state is { } s) rows = rows.Where(t => t.State == s);
        var ct = context.RequestAborted;
        var total = await rows.LongCountAsync(ct);
        var offset = (long)(page - 1) * perPage;
        List<TranscriptionJob> items = offset < total ? await rows.OrderBy(t => t.Id).Skip((int)offset).Take(perPage).ToListAsync(ct) : [];
        var list = new TranscriptionListResponse(items.Count, total, items.Select(t => t.ToResponse()).ToList());
        return TypedResults.Bytes(JsonSerializer.SerializeToUtf8Bytes(list, ApiJsonContext.Api.TranscriptionListResponse), "application/json");
    }

    public static async Task<Results<Ok<TranscriptionResponse>, ApiError>> Status(string id, HttpContext context, AppDbContext db)
    {
        var row = await FindAsync(db, context, id);
        return row is null ? NotFound() : TypedResults.Ok(row.ToResponse());
    }

    public static async Task<Results<FileStreamHttpResult, ContentHttpResult, ApiError>> Result(string id, HttpContext context, AppDbContext db, BlobStore blobs)
    {
        var format = ListQuery.Single(context.Request.Query, "format", new Dictionary<string, string>())?.ToLowerInvariant() ?? "json";
        if (format is not ("json" or "txt" or "srt" or "vtt"))
            return ApiError.InvalidQuery(new Dictionary<string, string> { ["format"] = "Must be one of: json, txt, srt, vtt" });
        var row = await FindAsync(db, context, id);
        if (row is null) return NotFound();
        if (row.State == JobState.Failed)
            return ApiError.Conflict($"The transcription failed: {row.LastError}", "TRANSCRIPTION_FAILED");
        if (row.State != JobState.Succeeded || row.ResultBlob is null)
            return ApiError.Conflict($"The transcription is {TranscriptionMapping.Status(row.State)}; the result is there once its status is done", "TRANSCRIPTION_NOT_DONE");

        // Opened before anything is answered: a delete that comes after cannot fail the answer half
        // way (an open file stays readable); one that came first removed the row before the file.
        FileStream file;
        try { file = File.OpenRead(blobs.FullPath(row.ResultBlob)); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return NotFound(); }
        if (format == "json") return TypedResults.Stream(file, "application/json");
        TranscriptionResult result;
        await using (file)
            result = (await JsonSerializer.DeserializeAsync<TranscriptionResult>(file, TranscriptionResult.Json, context.RequestAborted))!;
        return format switch
        {
            "txt" => TypedResults.Text(Subtitles.PlainText(result), "text/plain; charset=utf-8"),
            "srt" => TypedResults.Text(Subtitles.Srt(result), "application/x-subrip; charset=utf-8"),
            _ => TypedResults.Text(Subtitles.Vtt(result), "text/vtt; charset=utf-8"),
        };
    }

    /// <summary>The row first (a worker holding the job notices at its next lease renewal), then every file.</summary>
    public static async Task<Results<NoContent, ApiError>> Delete(string id, HttpContext context, AppDbContext db, BlobStore blobs)
    {
        var org = CurrentKey.Get(context).OrganizationId;
        var rows = await db.Transcriptions.Where(t => t.PublicId == id && t.OrganizationId == org).ExecuteDeleteAsync(context.RequestAborted);
        if (rows == 0) return NotFound();
        blobs.DeleteQuietly(StorageLayout.TranscriptionFolder(id));
        return TypedResults.NoContent();
    }

    /// <summary>The caller's transcription, or null: another organization's does not exist for the caller.</summary>
    static Task<TranscriptionJob?> FindAsync(AppDbContext db, HttpContext context, string id)
    {
        var org = CurrentKey.Get(context).OrganizationId;
        return db.Transcriptions.AsNoTracking().FirstOrDefaultAsync(t => t.PublicId == id && t.OrganizationId == org, context.RequestAborted);
    }

    static ApiError NotFound() => new(StatusCodes.Status404NotFound, "Transcription not found", "TRANSCRIPTION_NOT_FOUND");
}
