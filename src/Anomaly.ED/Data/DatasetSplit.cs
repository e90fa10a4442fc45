namespace Anomaly.ED.Data;

/// <summary>Which part of a benchmark dataset to list.</summary>
public enum DatasetSplit
{
    /// <summary>The training images (defect-free only), folder <c>train</c>.</summary>
    Train = 0,

    /// <summary>The test images (normal and defective, with masks), folder <c>test</c>.</summary>
    Test = 1,
}
