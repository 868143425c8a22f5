using CustomModels.Core.Jobs;
using CustomModels.Core.Listing;
using CustomModels.Core.Models;
using CustomModels.Core.Recognition;
using CustomModels.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CustomModels.Core;

public static class CoreServices
{
    /// <summary>
    /// What every API and worker process runs on, whatever else it does: the clock, the data folder
    /// with the sweeper of its abandoned temporary files and the remover of files no row refers to,
    /// the models' deletion and the renderer of their list entries, the installed recognizers and
    /// the job runner.
    /// </summary>
    public static IServiceCollection AddCore(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<BlobStore>();
        services.AddSettings<TempSweeper.Options>((options, settings) => options.Read(settings));
        services.AddHostedService<TempSweeper>();
        services.AddSettings<StorageReconciler.Options>((options, settings) => options.Read(settings));
        services.AddSingleton<StorageReconciler>();
        services.AddHostedService(provider => provider.GetRequiredService<StorageReconciler>());
        services.AddSingleton<ModelDeletion>();
        services.AddHostedService<ListedJsonRenderer>();
        services.AddSettings<AudioSettings>((audio, settings) => audio.Read(settings));
        services.AddSingleton<Recognizers>();
        services.AddSingleton<JobRunner>();
        return services;
    }
}
