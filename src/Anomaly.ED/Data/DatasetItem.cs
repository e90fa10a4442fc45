namespace Anomaly.ED.Data;

/// <summary>One image of a dataset listing: where it is, its label, its defect type and its mask file.</summary>
/// <param name="ImagePath">The image file.</param>
/// <param name="Label">Normal or defective.</param>
/// <param name="DefectType">The defect type (the folder name, such as <c>crack</c>), or the normal type name (<c>good</c>, <c>ok</c>).</param>
/// <param name="MaskPath">The ground-truth mask file; null for normal images (all-zero mask) and for defective images without masks.</param>
public sealed record DatasetItem(string ImagePath, AnomalyLabel Label, string DefectType, string? MaskPath)
{
    /// <summary>True when <see cref="Label"/> is <see cref="AnomalyLabel.Defective"/>.</summary>
    public bool IsDefective => Label == AnomalyLabel.Defective;
}
