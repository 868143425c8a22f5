using CustomModels.Core.Versions;
using Microsoft.Extensions.DependencyInjection;

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
        services.AddSettings<TrainingWorkerOptions>((options, settings) => options.Read(settings));
        return services;
    }

    public static IServiceCollection AddTrainingWorker(this IServiceCollection services) =>
        services.AddHostedService<TrainingWorker>();
}
