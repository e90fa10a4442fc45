namespace Anomaly.ED.Data;

/// <summary>Where the images of a plain-folder dataset are, and how masks are matched to defective images.</summary>
public sealed class FolderDatasetOptions
{
    /// <summary>A folder of defect-free images (not searched recursively); null when the dataset has none.</summary>
    /// <value>The default value is null.</value>
    public string? NormalDirectory { get; set; }

    /// <summary>Folders of defective images; each folder's name is the defect type of its images.</summary>
    /// <value>The default value is an empty list.</value>
    public IList<string> DefectDirectories { get; set; } = new List<string>();

    /// <summary>
    /// A folder of masks for the defective images; null when there are none (their masks are then all zero).
    /// For an image <c>&lt;stem&gt;.&lt;ext&gt;</c> of defect type T, the mask is the first existing file of
    /// <c>&lt;MaskDirectory&gt;/T/&lt;stem&gt;&lt;MaskSuffix&gt;&lt;e&gt;</c>, then <c>&lt;MaskDirectory&gt;/&lt;stem&gt;&lt;MaskSuffix&gt;&lt;e&gt;</c>,
    /// for each e of <see cref="Extensions"/> in order.
    /// </summary>
    /// <value>The default value is null.</value>
    public string? MaskDirectory { get; set; }

    /// <summary>Text appended to the image's name stem to form the mask's name, such as <c>_mask</c>.</summary>
    /// <value>The default value is the empty string.</value>
    public string MaskSuffix { get; set; } = string.Empty;

    /// <summary>The file extensions listed as images and searched for masks (case-insensitive, with the dot).</summary>
    /// <value>The default value is [.png, .bmp, .jpg, .jpeg].</value>
    public IList<string> Extensions { get; set; } = new List<string> { ".png", ".bmp", ".jpg", ".jpeg" };

    /// <summary>The defect-type name given to normal images.</summary>
    /// <value>The default value is <c>good</c>.</value>
    public string NormalTypeName { get; set; } = "good";

    /// <summary>The display name of the dataset.</summary>
    /// <value>The default value is <c>folder</c>.</value>
    public string Name { get; set; } = "folder";

    /// <summary>The preprocessing recorded as the dataset's reference transform; ED's square 256 x 256 pipeline when null.</summary>
    /// <value>The default value is null.</value>
    internal ImageTransformOptions? Transform { get; set; }

    /// <summary>Whether a defective image without a mask throws or is skipped with a warning (only when <see cref="MaskDirectory"/> is set).</summary>
    /// <value>The default value is <see cref="BadFilePolicy.Throw"/>.</value>
    public BadFilePolicy BadFiles { get; set; } = BadFilePolicy.Throw;
}
