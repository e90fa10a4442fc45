namespace Anomaly.ED.Training;

/// <summary>A snapshot of training, reported after every optimisation step.</summary>
/// <param name="Epoch">The current epoch, 1-based.</param>
/// <param name="Epochs">The number of epochs.</param>
/// <param name="Step">The step within the epoch, 1-based.</param>
/// <param name="StepsPerEpoch">The number of steps per epoch.</param>
/// <param name="Losses">Per level, the loss terms of this step.</param>
/// <param name="ImagesPerSecond">Training throughput since the epoch started.</param>
/// <param name="Elapsed">Time since training started.</param>
/// <param name="Remaining">Estimated time to finish all epochs.</param>
public sealed record TrainingProgress(
    int Epoch,
    int Epochs,
    int Step,
    int StepsPerEpoch,
    IReadOnlyList<EdLossValues> Losses,
    double ImagesPerSecond,
    TimeSpan Elapsed,
    TimeSpan Remaining);
