namespace CustomModels.Core.Training;

/// <summary>
/// A training that cannot succeed with the data it has, with the reason in words a user can act
/// on ("Test audio 'visit_03.mp3' could not be decoded"). Retrying would not help, so the model
/// goes to status 5 at once. Never carries a path or a stack trace.
/// </summary>
public sealed class TrainingFailure(string reason) : Exception(reason);
