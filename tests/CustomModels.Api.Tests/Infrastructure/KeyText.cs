namespace CustomModels.Api.Tests.Infrastructure;

/// <summary>The parts of a key `cmk_{prefix}_{secret}` as the tests look for them.</summary>
public static class KeyText
{
    /// <summary>
    /// Everything after the prefix. The secret is base64url and may itself contain '_', so it starts
    /// after the second underscore, not the last (the prefix's alphabet has none).
    /// </summary>
    public static string SecretOf(string key) => key[(key.IndexOf('_', "cmk_".Length) + 1)..];
}
