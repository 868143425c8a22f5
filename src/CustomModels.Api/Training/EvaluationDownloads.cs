using System.Text.Json;
using CustomModels.Api.Errors;
using CustomModels.Api.Models;
using CustomModels.Core.Storage;
using CustomModels.Core.Training;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CustomModels.Api.Training;

/// <summary>
/// An artifact's evaluation report as the API serves it: the report (JSON) or its per-utterance table
/// (`?format=csv`), and its per-word table (JSON or `?format=csv`). The same for the model's active
/// version (`/evaluation`) and for any version (`/versions/{v}/evaluation`).
/// </summary>
public static class EvaluationDownloads
{
    const string Csv = "text/csv; charset=utf-8";

    public static Results<PhysicalFileHttpResult, ContentHttpResult, ApiError> Report(HttpContext context, BlobStore blobs, long modelId, string? artifactName)
    {
        var (path, csv, error) = Locate(context, blobs, modelId, artifactName);
        if (error is not null) return error;
        if (!csv) return TypedResults.PhysicalFile(path!, "application/json");
        Attach(context, $"custom_model_{modelId}-utterances.csv");
        return TypedResults.Content(EvaluationTables.UtterancesCsv(EvaluationTables.Read(path!)), Csv);
    }

    public static Results<ContentHttpResult, ApiError> Words(HttpContext context, BlobStore blobs, long modelId, string? artifactName)
    {
        var (path, csv, error) = Locate(context, blobs, modelId, artifactName);
        if (error is not null) return error;
        var report = EvaluationTables.Read(path!);
        if (!csv) return TypedResults.Content(JsonSerializer.Serialize(EvaluationTables.Words(report), EvaluationReport.Json), "application/json");
        Attach(context, $"custom_model_{modelId}-words.csv");
        return TypedResults.Content(EvaluationTables.WordsCsv(report), Csv);
    }

    static (string? Path, bool Csv, ApiError? Error) Locate(HttpContext context, BlobStore blobs, long modelId, string? artifactName)
    {
        var format = context.Request.Query["format"];
        if (format.Count > 1 || format.Count == 1 && format[0] is not ("json" or "csv"))
            return (null, false, ApiError.InvalidQuery(new Dictionary<string, string> { ["format"] = "Must be json or csv" }));
        var path = artifactName is null ? null
            : blobs.FullPath(Path.Combine(BlobStore.ArtifactFolder(modelId, artifactName), TrainingPipeline.EvaluationFile));
        if (path is null || !File.Exists(path))
            return (null, false, ApiError.Conflict("The model has no evaluation yet: train it first", "MODEL_NOT_TRAINED"));
        return (path, format.Count == 1 && format[0] == "csv", null);
    }

    static void Attach(HttpContext context, string fileName) =>
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
}
