namespace Anomaly.ED.Training;

/// <summary>The stage of a fit that a <see cref="TrainingProgress"/> reports.</summary>
public enum FitStage
{
    /// <summary>The optimisation steps of the training epochs.</summary>
    Training = 0,

    /// <summary>The first pass over the training images, which computes the per-level reference features (ED, FOD).</summary>
    References = 1,
}
