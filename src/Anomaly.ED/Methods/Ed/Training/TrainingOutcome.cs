using Anomaly.ED.Evaluation;
using Anomaly.ED.Training;

namespace Anomaly.ED.Methods.Ed.Training;

/// <summary>What a training run returns to the model: the public result, the calibration it computed (if any), and the
/// training images it learned from (count and distinct original sizes) for the model file's training data summary.</summary>
internal sealed record TrainingOutcome(TrainingResult Result, Calibration? Calibration, int ImagesUsed, IReadOnlyList<(int Height, int Width)> ImageSizes);
