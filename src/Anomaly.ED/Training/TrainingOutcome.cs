using Anomaly.ED.Evaluation;

namespace Anomaly.ED.Training;

/// <summary>What a training run returns to the model: the public result and the calibration it computed, if any.</summary>
internal sealed record TrainingOutcome(TrainingResult Result, Calibration? Calibration);
