using System.Security.Claims;
using System.Text.Encodings.Web;
using CustomModels.Api.Errors;
using CustomModels.Core.Access;
using CustomModels.Core.Data;
using CustomModels.Core.Listing;
using CustomModels.Core.Models;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.Options;

namespace CustomModels.Api.Auth;

/// <summary>
/// `Authorization: Bearer &lt;key&gt;` authentication. The key found is kept on the request
/// (<see cref="CurrentKey"/>); its scopes become "scope" claims that the scope policies check.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, PreparedReads reads)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string ScopeClaim = "scope";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrWhiteSpace(header))
            return Failure("MISSING_API_KEY");
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return Failure("INVALID_API_KEY");
        var token = header["Bearer ".Length..].Trim();
        if (token.Length is 0 or > 200)
            return Failure("INVALID_API_KEY");

        var (check, key) = await ApiKeys.AuthenticateAsync(reads, token, Context.RequestAborted);
        if (check == KeyCheck.Revoked) return Failure("KEY_REVOKED");
        if (key is null) return Failure("INVALID_API_KEY");

        CurrentKey.Set(Context, key);
        var claims = key.Scopes.Select(s => new Claim(ScopeClaim, s)).Append(new Claim("org", key.OrganizationId.ToString()));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    AuthenticateResult Failure(string errorCode)
    {
        Context.Items[typeof(ApiKeyAuthenticationHandler)] = errorCode;
        return errorCode == "MISSING_API_KEY" ? AuthenticateResult.NoResult() : AuthenticateResult.Fail(errorCode);
    }

    internal static string FailureCode(HttpContext context) =>
        context.Items[typeof(ApiKeyAuthenticationHandler)] as string ?? "MISSING_API_KEY";
}

/// <summary>The authenticated key of the current request.</summary>
public static class CurrentKey
{
    public static void Set(HttpContext context, AuthenticatedKey key) => context.Items[typeof(AuthenticatedKey)] = key;

    public static AuthenticatedKey? Find(HttpContext context) => context.Items[typeof(AuthenticatedKey)] as AuthenticatedKey;

    /// <summary>The key of a request that passed authorization; endpoints behind a scope policy always have one.</summary>
    public static AuthenticatedKey Get(HttpContext context) =>
        Find(context) ?? throw new InvalidOperationException("endpoint reached without an authenticated key");
}

/// <summary>Writes 401 and 403 in the API error shape, naming the missing scope.</summary>
public sealed class ApiAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult result)
    {
        if (result.Challenged)
        {
            var code = ApiKeyAuthenticationHandler.FailureCode(context);
            var message = code == "KEY_REVOKED" ? "API key has been revoked" : "Invalid or missing API key";
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await new ApiError(StatusCodes.Status401Unauthorized, message, code).WriteAsync(context.Response);
        }
        else if (result.Forbidden)
        {
            var scope = result.AuthorizationFailure?.FailedRequirements.OfType<ClaimsAuthorizationRequirement>()
                .SelectMany(r => r.AllowedValues ?? []).FirstOrDefault() ?? "required";
            await new ApiError(StatusCodes.Status403Forbidden, $"API key lacks the {scope} scope", "INSUFFICIENT_SCOPE")
                .WriteAsync(context.Response);
        }
        else
            await next(context);
    }
}

public static class AuthSetup
{
    public static IServiceCollection AddApiKeyAuth(this IServiceCollection services)
    {
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ApiAuthorizationResultHandler>();
        var authorization = services.AddAuthorizationBuilder()
            // Everything needs a key unless it says otherwise (health, API reference).
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        foreach (var scope in Scopes.All)
            authorization.AddPolicy(scope, p => p.RequireAuthenticatedUser().RequireClaim(ApiKeyAuthenticationHandler.ScopeClaim, scope));
        return services;
    }
}
