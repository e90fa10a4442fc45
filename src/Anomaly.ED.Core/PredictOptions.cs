namespace Anomaly.ED;

/// <summary>Output options of the detectors' <c>Predict</c> calls (<c>EdDetector</c>, <c>OnnxDetector</c>).</summary>
public sealed class PredictOptions
{
    /// <summary>Whether anomaly maps are returned at the original image resolution instead of the model's input resolution.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool MapAtOriginalResolution { get; set; }

    /// <summary>Whether predictions also carry the map before smoothing (<see cref="AnomalyPrediction.UnsmoothedMap"/>), as an
    /// evaluation needs for the reference's pixel AUROC. An ONNX export written before the graph had this output gives none.</summary>
    /// <value>The default value is <see langword="false"/>: one map per image is kept.</value>
    public bool IncludeUnsmoothedMap { get; set; }

    /// <summary>How many images go through the networks at once.</summary>
    /// <value>The default value is 1: at the reference sizes on CPU, batches of 8 were three times slower per image (docs/benchmarks.md).</value>
    public int BatchSize { get; set; } = 1;

    /// <summary>Throws an <see cref="ArgumentException"/> naming an invalid setting.</summary>
    public void Validate()
    {
        if (BatchSize <= 0)
        {
            throw new ArgumentException($"PredictOptions.BatchSize = {BatchSize} must be positive.");
        }
    }
}
