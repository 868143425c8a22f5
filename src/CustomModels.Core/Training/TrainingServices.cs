using CustomModels.Core.Versions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CustomModels.Core.Training;

public static class TrainingServices
{
    /// <summary>Training as the API and the worker share it (beside <see cref="CoreServices.AddCore"/>): its status owner, the pipeline, versions.</summary>
    public static IServiceCollection AddTraining(this IServiceCollection services)
    {
        services.AddSingleton<ModelTraining>();
        services.AddSingleton<Pronouncers>();
        services.AddSingleton<TrainingPipeline>();
        services.AddSingleton<ModelVersions>();
        services.TryAddSingleton(TrainingWorkerOptions.FromEnvironment());
        return services;
    }

    public static IServiceCollection AddTrainingWorker(this IServiceCollection services) =>
        services.AddHostedService<TrainingWorker>();
}
