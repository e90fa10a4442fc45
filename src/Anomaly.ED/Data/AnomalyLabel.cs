namespace Anomaly.ED.Data;

/// <summary>The ground-truth label of an image.</summary>
public enum AnomalyLabel
{
    /// <summary>Defect-free (label 0).</summary>
    Normal = 0,

    /// <summary>Has at least one defect (label 1).</summary>
    Defective = 1,
}
