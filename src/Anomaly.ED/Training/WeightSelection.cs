namespace Anomaly.ED.Training;

/// <summary>Which weights a detector keeps after training.</summary>
public enum WeightSelection
{
    /// <summary>The weights after the last epoch.</summary>
    Last,

    /// <summary>The weights of the epoch with the best validation metric (image AUROC on a labelled set, else the lowest reconstruction loss on held-out normals).</summary>
    Best,
}
