namespace Anomaly.ED.Training;

/// <summary>
/// A snapshot of fitting, reported after every batch of the reference-feature pass (<see cref="Stage"/> is
/// <see cref="FitStage.References"/>: <see cref="Epoch"/> is 0 and the steps count images) and after every optimisation step.
/// </summary>
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
    TimeSpan Remaining)
{
    /// <summary>What the fit is doing.</summary>
    /// <value>The default value is <see cref="FitStage.Training"/>.</value>
    public FitStage Stage { get; init; } = FitStage.Training;
}
