using System.Text.Json.Serialization;
using Microsoft.AspNetCore.WebUtilities;

namespace CustomModels.Api.Errors;

/// <summary>The error body of every failed request (the one error shape of the API).</summary>
public sealed record ApiErrorBody(
    string Error,
    string Message,
    string ErrorCode,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string>? Details = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? RetryAfter = null);

/// <summary>
/// An error answer as an <see cref="IResult"/>: the one place that writes the error shape, so
/// every error path (handlers, auth, rate limits, routing, exceptions) looks the same.
/// </summary>
public sealed class ApiError(int status, string message, string errorCode, IReadOnlyDictionary<string, string>? details = null)
    : IResult, IStatusCodeHttpResult
{
    public int StatusCode => status;
    int? IStatusCodeHttpResult.StatusCode => status;
    public string ErrorCode => errorCode;
    public int? RetryAfter { get; init; }

    public Task ExecuteAsync(HttpContext context) => WriteAsync(context.Response);

    public async Task WriteAsync(HttpResponse response)
    {
        response.StatusCode = status;
        var body = new ApiErrorBody(ReasonPhrases.GetReasonPhrase(status), message, errorCode, details, RetryAfter);
        await response.WriteAsJsonAsync(body, ApiJsonContext.Api.ApiErrorBody);
    }

    public static ApiError BadRequest(string message, string code, IReadOnlyDictionary<string, string>? details = null) =>
        new(StatusCodes.Status400BadRequest, message, code, details);

    public static ApiError InvalidQuery(IReadOnlyDictionary<string, string> details) =>
        BadRequest("Invalid query parameters", "INVALID_QUERY", details);

    public static ApiError InvalidBody(IReadOnlyDictionary<string, string> details) =>
        BadRequest("Invalid request body", "VALIDATION_ERROR", details);

    public static ApiError ModelNotFound() =>
        new(StatusCodes.Status404NotFound, "Custom model not found", "MODEL_NOT_FOUND");

    public static ApiError ModelTraining() =>
        Conflict("The model is training; wait until it finishes", "MODEL_TRAINING");

    public static ApiError VersionNotFound() =>
        new(StatusCodes.Status404NotFound, "Model version not found", "VERSION_NOT_FOUND");

    public static ApiError Conflict(string message, string code) => new(StatusCodes.Status409Conflict, message, code);

    public static ApiError UnsupportedMediaType(string expected) =>
        new(StatusCodes.Status415UnsupportedMediaType, $"Content-Type must be {expected}", "UNSUPPORTED_MEDIA_TYPE");

    /// <summary>The answer for a status that reached the client with no body (routing 404/405, framework rejections).</summary>
    public static ApiError ForBareStatus(int status) => status switch
    {
        404 => new(status, "No such resource", "NOT_FOUND"),
        405 => new(status, "Method not allowed on this resource", "METHOD_NOT_ALLOWED"),
        413 => new(status, "Request body too large", "PAYLOAD_TOO_LARGE"),
        415 => new(status, "Content-Type is not supported by this endpoint", "UNSUPPORTED_MEDIA_TYPE"),
        408 => new(status, "Request timed out", "REQUEST_TIMEOUT"),
        431 => new(status, "Request headers too large", "HEADERS_TOO_LARGE"),
        >= 500 => new(status, "The server could not complete the request", "INTERNAL_ERROR"),
        _ => new(status, ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } p ? p : "Request failed", "BAD_REQUEST"),
    };
}
