using Anomaly.ED.Data;

namespace Anomaly.ED;

/// <summary>One test image as an evaluation scored it: the dataset item, its prediction (map at the model's input resolution) and its ground-truth mask in the same geometry.</summary>
/// <param name="Item">The dataset item.</param>
/// <param name="Prediction">The score, decision (when calibrated) and anomaly map at the model's input resolution.</param>
/// <param name="Mask">The ground-truth mask through the model's own transform, row-major like <see cref="AnomalyPrediction.Map"/>; all false for a normal image.</param>
public sealed record EvaluatedImage(DatasetItem Item, AnomalyPrediction Prediction, IReadOnlyList<bool> Mask);
