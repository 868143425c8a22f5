using System.Globalization;

namespace CustomModels.Speech.Settings;

/// <summary>A setting the service cannot run with; its message names the variable and says why.</summary>
public sealed class SettingsException(string message) : Exception(message);

/// <summary>
/// The one rule for the service's CUSTOMMODELS_* settings, wherever they come from (the service's
/// configuration, which holds the environment, or the environment itself): unset or empty is the
/// default; anything else must be a valid value, or start-up stops with a
/// <see cref="SettingsException"/> that names the variable (the executable prints it and exits
/// with code 2). A bad value never silently becomes the default.
/// </summary>
public sealed class SettingsReader(Func<string, string?> lookup)
{
    /// <summary>The process's environment, for what is read before (or without) a host's configuration.</summary>
    public static SettingsReader Environment { get; } = new(System.Environment.GetEnvironmentVariable);

    /// <summary>A whole number of at least <paramref name="min"/>.</summary>
    public int Whole(string variable, int defaultValue, int min = 1) =>
        Read(variable) is not { } text ? defaultValue
            : int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min ? n
            : throw Bad(variable, text, $"a whole number of at least {min}");

    /// <summary>A whole number of at least <paramref name="min"/>, for sizes in bytes.</summary>
    public long Long(string variable, long defaultValue, long min = 1) =>
        Read(variable) is not { } text ? defaultValue
            : long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min ? n
            : throw Bad(variable, text, $"a whole number of at least {min}");

    /// <summary>A number above 0 (a decimal point allowed).</summary>
    public double Positive(string variable, double defaultValue) =>
        Read(variable) is not { } text ? defaultValue
            : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n > 0 && double.IsFinite(n) ? n
            : throw Bad(variable, text, "a number above 0");

    /// <summary>Whole seconds, at least one.</summary>
    public TimeSpan Seconds(string variable, TimeSpan defaultValue) =>
        Read(variable) is null ? defaultValue : TimeSpan.FromSeconds(Whole(variable, 0, min: 1));

    /// <summary>Text as given; null when unset or empty.</summary>
    public string? Text(string variable) => Read(variable);

    /// <summary>A list separated by commas or spaces; empty when unset.</summary>
    public IReadOnlyList<string> List(string variable) =>
        (Read(variable) ?? "").Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    string? Read(string variable) => lookup(variable) is { Length: > 0 } text ? text.Trim() : null;

    static SettingsException Bad(string variable, string text, string expected) => new($"{variable} must be {expected}, not '{text}'");
}

/// <summary>The settings read straight from the environment, by <see cref="SettingsReader"/>'s rule: those needed before a host is built.</summary>
public static class EnvironmentSettings
{
    public static int Whole(string variable, int defaultValue, int min = 1) => SettingsReader.Environment.Whole(variable, defaultValue, min);

    public static double Positive(string variable, double defaultValue) => SettingsReader.Environment.Positive(variable, defaultValue);

    public static TimeSpan Seconds(string variable, TimeSpan defaultValue) => SettingsReader.Environment.Seconds(variable, defaultValue);

    public static string? Text(string variable) => SettingsReader.Environment.Text(variable);
}
