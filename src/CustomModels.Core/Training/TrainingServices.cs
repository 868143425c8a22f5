using CustomModels.Core.Jobs;
using CustomModels.Core.Models;
using CustomModels.Core.Storage;
using CustomModels.Core.Versions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CustomModels.Core.Training;

public static class TrainingServices
{
    /// <summary>What the API and the worker share: storage, recognizers, the pipeline.</summary>
    public static IServiceCollection AddTraining(this IServiceCollection services)
    {
        services.AddSingleton<BlobStore>();
        services.AddSingleton<Recognizers>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ModelTraining>();
        services.AddSingleton<JobRunner>();
        services.AddSingleton<Pronouncers>();
        services.AddSingleton<TrainingPipeline>();
        services.AddSingleton<ModelDeletion>();
        services.AddSingleton<ModelVersions>();
        services.TryAddSingleton(TempSweeper.Options.FromEnvironment());
        services.AddHostedService<TempSweeper>();
        services.AddHostedService<ListedJsonRenderer>();
        services.TryAddSingleton(TrainingWorkerOptions.FromEnvironment());
        return services;
    }

    public static IServiceCollection AddTrainingWorker(this IServiceCollection services) =>
        services.AddHostedService<TrainingWorker>();
}
