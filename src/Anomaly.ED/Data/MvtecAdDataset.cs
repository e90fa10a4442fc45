using Microsoft.Extensions.Logging;

namespace Anomaly.ED.Data;

/// <summary>
/// Lists MVTec AD as ED's reader does: <c>&lt;root&gt;/&lt;category&gt;/&lt;train|test&gt;/&lt;type&gt;/*.png</c>, types and files
/// sorted ordinally, <c>good</c> normal, masks at <c>&lt;category&gt;/ground_truth/&lt;type&gt;/&lt;name&gt;_mask.png</c>.
/// </summary>
public static class MvtecAdDataset
{
    /// <summary>The normal type name (folder <c>good</c>).</summary>
    public const string NormalType = "good";

    /// <summary>The 15 MVTec AD categories.</summary>
    public static IReadOnlyList<string> Categories { get; } =
    [
        "bottle", "cable", "capsule", "carpet", "grid", "hazelnut", "leather", "metal_nut",
        "pill", "screw", "tile", "toothbrush", "transistor", "wood", "zipper",
    ];

    /// <summary>The categories whose images are greyscale (replicated to RGB when decoded).</summary>
    public static IReadOnlyList<string> GrayscaleCategories { get; } = ["grid", "screw", "zipper"];

    private static readonly string[] Extensions = [".png"];

    /// <summary>Lists one category and split.</summary>
    /// <param name="root">The dataset folder holding the category folders.</param>
    /// <param name="category">One of <see cref="Categories"/>.</param>
    /// <param name="split">Training or test images.</param>
    /// <param name="badFiles">Whether a missing mask throws or is skipped with a warning.</param>
    /// <param name="logger">Receives warnings and a summary; none when null.</param>
    /// <returns>The listing, with ED's square 256 x 256 pipeline as reference transform.</returns>
    /// <exception cref="ArgumentException">The category is unknown.</exception>
    /// <exception cref="DatasetException">A folder or mask is missing, a folder cannot be listed, or no image is found.</exception>
    public static ImageDataset Open(string root, string category, DatasetSplit split, BadFilePolicy badFiles = BadFilePolicy.Throw, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        DatasetListing.RequireCategory(Categories, category, "MVTec AD");
        var splitName = DatasetListing.SplitFolder(split);
        DatasetListing.RequireDirectory(root, "MVTec AD dataset");
        var categoryDir = DatasetListing.RequireDirectory(Path.Combine(root, category), "MVTec AD category");
        var imageDir = DatasetListing.RequireDirectory(Path.Combine(categoryDir, splitName), $"MVTec AD '{splitName}'");
        var maskRoot = Path.Combine(categoryDir, "ground_truth");

        var listing = new DatasetListing(badFiles, logger);
        foreach (var type in DatasetListing.SortedSubdirectories(imageDir))
        {
            foreach (var image in listing.SortedImages(Path.Combine(imageDir, type), Extensions))
            {
                if (type == NormalType)
                {
                    listing.AddNormal(image, type);
                }
                else
                {
                    var mask = Path.Combine(maskRoot, type, Path.GetFileNameWithoutExtension(image) + "_mask.png");
                    listing.AddDefective(image, type, mask);
                }
            }
        }

        return listing.Build($"MVTec AD/{category}/{splitName}", imageDir, ImageTransformOptions.EdSquare(), category);
    }
}
