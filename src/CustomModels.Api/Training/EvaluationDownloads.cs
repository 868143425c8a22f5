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

    // The report is opened once, before anything is answered: a delete of its version or model
    // that comes after cannot make the answer fail half way (an open file stays readable), and one
    // that came before is answered as the state it left (`gone`: no such model or version), never a 500.

    public static Results<FileStreamHttpResult, ContentHttpResult, ApiError> Report(HttpContext context, BlobStore blobs, long modelId,
        string? artifactName, Func<ApiError> gone)
    {
        var (file, csv, error) = Open(context, blobs, modelId, artifactName, gone);
        if (error is not null) return error;
        if (!csv) return TypedResults.Stream(file!, "application/json");
        Attach(context, $"custom_model_{modelId}-utterances.csv");
        return TypedResults.Content(EvaluationTables.UtterancesCsv(ReadAndClose(file!)), Csv);
    }

    public static Results<ContentHttpResult, ApiError> Words(HttpContext context, BlobStore blobs, long modelId, string? artifactName, Func<ApiError> gone)
    {
        var (file, csv, error) = Open(context, blobs, modelId, artifactName, gone);
        if (error is not null) return error;
        var report = ReadAndClose(file!);
        if (!csv) return TypedResults.Content(JsonSerializer.Serialize(EvaluationTables.Words(report), EvaluationReport.Json), "application/json");
        Attach(context, $"custom_model_{modelId}-words.csv");
        return TypedResults.Content(EvaluationTables.WordsCsv(report), Csv);
    }

    static (FileStream? File, bool Csv, ApiError? Error) Open(HttpContext context, BlobStore blobs, long modelId, string? artifactName, Func<ApiError> gone)
    {
        var format = context.Request.Query["format"];
        if (format.Count > 1 || format.Count == 1 && format[0] is not ("json" or "csv"))
            return (null, false, ApiError.InvalidQuery(new Dictionary<string, string> { ["format"] = "Must be json or csv" }));
        if (artifactName is null)
            return (null, false, ApiError.Conflict("The model has no evaluation yet: train it first", "MODEL_NOT_TRAINED"));
        try
        {
            return (ModelArtifact.Of(blobs, modelId, artifactName).OpenEvaluation(), format.Count == 1 && format[0] == "csv", null);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return (null, false, gone());
        }
    }

    static EvaluationReport ReadAndClose(FileStream file)
    {
        using (file) return EvaluationTables.Read(file);
    }

    static void Attach(HttpContext context, string fileName) =>
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
}
