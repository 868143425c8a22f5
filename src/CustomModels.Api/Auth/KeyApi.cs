using CustomModels.Core.Models;

namespace CustomModels.Api.Auth;

/// <summary>
/// `GET /api/v3/key`: what the calling key may do. Any valid key may ask (no scope needed), so a
/// client such as the dashboard learns which actions to offer without trying one and failing.
/// </summary>
public static class KeyApi
{
    public static IEndpointRouteBuilder MapKeyInfo(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v3/key", (HttpContext context) =>
            {
                var key = CurrentKey.Get(context);
                return TypedResults.Ok(new KeyResponse(
                    key.Prefix, Scopes.All.Where(key.Scopes.Contains).ToArray(), key.RequestsPerMinute, key.MaxConcurrent));
            })
            .RequireAuthorization().WithTags("Key")
            .WithSummary("The calling key: its prefix, scopes and rate limits (0 = unlimited)");
        return app;
    }
}

public sealed record KeyResponse(string Prefix, string[] Scopes, int RequestsPerMinute, int MaxConcurrent);
