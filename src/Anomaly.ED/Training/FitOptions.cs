using Anomaly.ED.Data;

namespace Anomaly.ED.Training;

/// <summary>Options of one <see cref="EdDetector.Fit(ImageDataset, FitOptions?, IProgress{TrainingProgress}?, CancellationToken)"/> call: validation, weight selection, checkpoints and calibration.</summary>
public sealed class FitOptions
{
    /// <summary>Fraction of the training normals held out (seeded) for validation, in [0, 1); 0 holds none out.</summary>
    /// <value>The default value is 0.</value>
    public double ValidationFraction { get; set; }

    /// <summary>A labelled validation set (normal and defective images) scored after every epoch by image AUROC; null for none.</summary>
    /// <remarks>The reference picks its weights on the test set; a separate validation set is the honest alternative.</remarks>
    public ImageDataset? ValidationSet { get; set; }

    /// <summary>Which weights the detector keeps at the end.</summary>
    /// <value>The default value is <see cref="WeightSelection.Last"/>.</value>
    public WeightSelection Selection { get; set; } = WeightSelection.Last;

    /// <summary>A checkpoint file written (atomically) after every epoch; when it exists at the start, training resumes from it.</summary>
    public string? CheckpointPath { get; set; }

    /// <summary>Upper bound, in megabytes, on the backbone tokens cached in memory so that later epochs skip the backbone; 0 disables the cache.</summary>
    /// <value>The default value is 2048.</value>
    public int FeatureCacheMegabytes { get; set; } = 2048;

    /// <summary>When set and validation normals exist, the decision threshold is calibrated at this false-positive rate after training.</summary>
    public double? CalibrationFalsePositiveRate { get; set; }

    /// <summary>How many images are decoded in parallel.</summary>
    /// <value>The default value is the processor count.</value>
    public int DecodeParallelism { get; set; } = Environment.ProcessorCount;

    /// <summary>Throws an <see cref="ArgumentException"/> naming every invalid setting.</summary>
    public void Validate()
    {
        var problems = new List<string>();
        if (!(ValidationFraction >= 0 && ValidationFraction < 1))
        {
            problems.Add($"ValidationFraction = {ValidationFraction} must lie in [0, 1).");
        }

        if (FeatureCacheMegabytes < 0)
        {
            problems.Add($"FeatureCacheMegabytes = {FeatureCacheMegabytes} must not be negative.");
        }

        if (CalibrationFalsePositiveRate is { } fpr && !(fpr > 0 && fpr < 1))
        {
            problems.Add($"CalibrationFalsePositiveRate = {fpr} must lie in (0, 1).");
        }

        if (CalibrationFalsePositiveRate is not null && ValidationFraction == 0)
        {
            problems.Add("CalibrationFalsePositiveRate needs held-out normals: set ValidationFraction above 0.");
        }

        if (Selection == WeightSelection.Best && ValidationFraction == 0 && ValidationSet is null)
        {
            problems.Add("Selection = Best needs validation: set ValidationFraction above 0 or give a ValidationSet.");
        }

        if (DecodeParallelism <= 0)
        {
            problems.Add($"DecodeParallelism = {DecodeParallelism} must be positive.");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid fit options: " + string.Join(" ", problems));
        }
    }
}
