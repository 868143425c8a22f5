using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CustomModels.Core.Transcriptions;

public static class TranscriptionServices
{
    /// <summary>What the API and the workers share (beside CoreServices.AddCore).</summary>
    public static IServiceCollection AddTranscription(this IServiceCollection services)
    {
        services.AddSettings<TranscriptionOptions>((options, settings) => options.Read(settings));
        services.AddSingleton<WebhookSecrets>();
        services.AddSingleton(sp => new WebhookTargets(sp.GetRequiredService<IOptions<TranscriptionOptions>>().Value.WebhookAllowedHosts));
        services.AddSingleton<Keyterms>();
        services.AddSingleton<DecoderCache>(); // loads nothing until a worker rents from it
        return services;
    }

    /// <summary>The transcription workers and the webhook sender, beside (not instead of) the training worker.</summary>
    public static IServiceCollection AddTranscriptionWorker(this IServiceCollection services)
    {
        services.AddHostedService<TranscriptionWorker>();
        services.AddHostedService<WebhookSender>();
        return services;
    }
}
