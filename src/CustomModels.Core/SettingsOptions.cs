using CustomModels.Speech.Settings;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CustomModels.Core;

/// <summary>
/// The service's settings through the options pattern: each settings class is bound once from the
/// configuration (which holds the environment's CUSTOMMODELS_* variables) by the one rule of
/// <see cref="SettingsReader"/>, and read and checked at start-up, before anything is created, so
/// that a bad value stops the service with exit code 2 naming the variable.
/// </summary>
public static class SettingsOptions
{
    /// <summary>Registers <typeparamref name="T"/> (as IOptions) read by <paramref name="read"/>.</summary>
    public static OptionsBuilder<T> AddSettings<T>(this IServiceCollection services, Action<T, SettingsReader> read) where T : class =>
        services.AddOptions<T>()
            .Configure<IConfiguration>((settings, configuration) => read(settings, new SettingsReader(key => configuration[key])))
            .ValidateOnStart();

    /// <summary>Reads every registered setting now; a bad one throws the <see cref="SettingsException"/> that names it.</summary>
    public static void CheckSettings(this IServiceProvider services) => services.GetService<IStartupValidator>()?.Validate();
}
