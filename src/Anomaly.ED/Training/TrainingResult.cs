namespace Anomaly.ED.Training;

/// <summary>What a training run did and which weights the detector kept.</summary>
/// <param name="EpochsCompleted">Epochs completed, including those of a resumed checkpoint.</param>
/// <param name="Selection">Whether the last or the best weights were kept.</param>
/// <param name="SelectedEpoch">The epoch (1-based) whose weights the detector holds.</param>
/// <param name="ValidationMetric">The name of the validation metric, or null without validation.</param>
/// <param name="ValidationHistory">The validation metric after each epoch of this run (empty without validation).</param>
/// <param name="FinalLosses">Per level, the mean loss terms of the last epoch.</param>
/// <param name="Duration">Wall-clock time of this run.</param>
/// <param name="FeaturesCached">Whether the backbone tokens were cached in memory across epochs.</param>
public sealed record TrainingResult(
    int EpochsCompleted,
    WeightSelection Selection,
    int SelectedEpoch,
    string? ValidationMetric,
    IReadOnlyList<double> ValidationHistory,
    IReadOnlyList<EdLossValues> FinalLosses,
    TimeSpan Duration,
    bool FeaturesCached);
