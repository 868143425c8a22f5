using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Net.Http.Headers;

namespace CustomModels.Api.Dashboard;

/// <summary>
/// The web dashboard: `/` and `/dashboard/*`, the files of Dashboard/wwwroot built into the
/// executable as resources (so `make publish`'s single file carries them and nothing is fetched
/// from elsewhere). The dashboard is a plain client of the public API: these files are the same
/// for everyone and need no key; everything it shows comes from /api/v3 with the user's key.
/// </summary>
public static class DashboardFiles
{
    const string ResourcePrefix = "dashboard/";

    /// <summary>Only this origin's own files and API; audio plays from the user's own file (blob:).</summary>
    const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    sealed record DashboardFile(byte[] Content, string ContentType, string ETag);

    static readonly Lazy<FrozenDictionary<string, DashboardFile>> Files = new(Load);

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpContext context) => Serve(context, "index.html")).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/dashboard/{**path}", (HttpContext context, string path) => Serve(context, path)).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    static IResult Serve(HttpContext context, string path)
    {
        if (!Files.Value.TryGetValue(path, out var file))
            return new Errors.ApiError(StatusCodes.Status404NotFound, "No such dashboard file", "NOT_FOUND");
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        // Revalidated on every load: a new version of the service shows its new dashboard at once.
        headers.CacheControl = "no-cache";
        headers.ETag = file.ETag;
        if (context.Request.Headers.IfNoneMatch.ToString() == file.ETag)
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        return TypedResults.Bytes(file.Content, file.ContentType);
    }

    static FrozenDictionary<string, DashboardFile> Load()
    {
        var assembly = typeof(DashboardFiles).Assembly;
        var types = new FileExtensionContentTypeProvider();
        var files = new Dictionary<string, DashboardFile>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            var path = name[ResourcePrefix.Length..];
            var type = types.TryGetContentType(path, out var known) ? known : "application/octet-stream";
            if (type.StartsWith("text/", StringComparison.Ordinal) || path.EndsWith(".js", StringComparison.Ordinal)) type += "; charset=utf-8";
            var etag = new EntityTagHeaderValue("\"" + Convert.ToHexStringLower(SHA256.HashData(content))[..16] + "\"").ToString();
            files[path] = new DashboardFile(content, type, etag);
        }
        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
