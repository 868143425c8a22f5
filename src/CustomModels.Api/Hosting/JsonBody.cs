using System.Text.Json;
using System.Text.Json.Nodes;
using CustomModels.Api.Errors;

namespace CustomModels.Api.Hosting;

/// <summary>
/// Reads a JSON object body by hand rather than by binding, so that a wrong content type is a
/// 415, malformed JSON a 400, and every bad field gets its own entry in `details`.
/// </summary>
public static class JsonBody
{
    public static async Task<(JsonObject? Body, ApiError? Error)> ReadObjectAsync(HttpRequest request, bool allowEmpty = false)
    {
        var hasBody = request.ContentLength is > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);
        if (!hasBody && allowEmpty) return (new JsonObject(), null);
        if (!request.HasJsonContentType())
            return (null, ApiError.UnsupportedMediaType("application/json"));
        JsonNode? node;
        try
        {
            // A repeated property is refused here: JsonObject would otherwise throw on first access (a 500).
            node = await JsonNode.ParseAsync(request.Body, documentOptions: new JsonDocumentOptions { MaxDepth = 32, AllowDuplicateProperties = false },
                cancellationToken: request.HttpContext.RequestAborted);
        }
        catch (JsonException)
        {
            if (!hasBody && allowEmpty) return (new JsonObject(), null);
            return (null, ApiError.BadRequest("Request body is not valid JSON", "MALFORMED_JSON"));
        }
        if (node is JsonObject obj) return (obj, null);
        return (null, ApiError.BadRequest("Request body must be a JSON object", "MALFORMED_JSON"));
    }

    /// <summary>A field that, when present and not null, must be a string.</summary>
    public static bool TryGetString(JsonObject body, string field, Dictionary<string, string> errors, out string? value, out bool present)
    {
        value = null;
        present = body.TryGetPropertyValue(field, out var node);
        if (!present || node is null) return true;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            if (!TryGetText(v, out value)) errors[field] = "Must be valid Unicode text (a \\u escape names half a surrogate pair)";
            // PostgreSQL cannot store U+0000 in text (SQLite can): refused on both, so both behave alike.
            else if (value!.Contains('\0')) errors[field] = "Must not contain the NUL character (\\u0000)";
            else return true;
            value = null;
            return false;
        }
        errors[field] = "Must be a string";
        return false;
    }

    /// <summary>
    /// The string of a JSON string value; false for one that is not a string or that cannot be a
    /// .NET string at all (an escaped lone surrogate such as "\\ud800", on which reading throws).
    /// </summary>
    public static bool TryGetText(JsonNode? node, out string? value)
    {
        value = null;
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.String) return false;
        try
        {
            value = v.GetValue<string>();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Length as people and PostgreSQL count it: in Unicode code points, not UTF-16 units.</summary>
    public static int CharacterCount(string s) => s.EnumerateRunes().Count();
}
