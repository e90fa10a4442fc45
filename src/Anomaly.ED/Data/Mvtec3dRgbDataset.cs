using Microsoft.Extensions.Logging;

namespace Anomaly.ED.Data;

/// <summary>
/// Lists the RGB images of MVTec 3D-AD as ED's reader does: <c>&lt;root&gt;/&lt;category&gt;/&lt;train|test&gt;/&lt;type&gt;/rgb/*.png</c>,
/// <c>good</c> normal, masks at <c>&lt;category&gt;/test/&lt;type&gt;/gt/&lt;name&gt;.png</c> where any non-zero value is defect.
/// The point clouds (<c>xyz</c>) are ignored.
/// </summary>
public static class Mvtec3dRgbDataset
{
    /// <summary>The normal type name (folder <c>good</c>).</summary>
    public const string NormalType = "good";

    /// <summary>The 10 MVTec 3D-AD categories.</summary>
    public static IReadOnlyList<string> Categories { get; } =
    [
        "bagel", "cable_gland", "carrot", "cookie", "dowel", "foam", "peach", "potato", "rope", "tire",
    ];

    private static readonly string[] Extensions = [".png"];

    /// <summary>Lists one category and split.</summary>
    /// <param name="root">The dataset folder holding the category folders.</param>
    /// <param name="category">One of <see cref="Categories"/>.</param>
    /// <param name="split">Training or test images.</param>
    /// <param name="badFiles">Whether a missing mask throws or is skipped with a warning.</param>
    /// <param name="logger">Receives warnings and a summary; none when null.</param>
    /// <returns>The listing, with ED's short-side 256 + center crop 256 pipeline as reference transform.</returns>
    /// <exception cref="ArgumentException">The category is unknown.</exception>
    /// <exception cref="DatasetException">A folder or mask is missing, a folder cannot be listed, or no image is found.</exception>
    public static ImageDataset Open(string root, string category, DatasetSplit split, BadFilePolicy badFiles = BadFilePolicy.Throw, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        DatasetListing.RequireCategory(Categories, category, "MVTec 3D-AD");
        var splitName = DatasetListing.SplitFolder(split);
        DatasetListing.RequireDirectory(root, "MVTec 3D-AD dataset");
        var categoryDir = DatasetListing.RequireDirectory(Path.Combine(root, category), "MVTec 3D-AD category");
        var imageDir = DatasetListing.RequireDirectory(Path.Combine(categoryDir, splitName), $"MVTec 3D-AD '{splitName}'");
        var maskRoot = Path.Combine(categoryDir, "test");

        var listing = new DatasetListing(badFiles, logger);
        foreach (var type in DatasetListing.SortedSubdirectories(imageDir))
        {
            var rgbDir = Path.Combine(imageDir, type, "rgb");
            if (!Directory.Exists(rgbDir))
            {
                continue;
            }

            foreach (var image in listing.SortedImages(rgbDir, Extensions))
            {
                if (type == NormalType)
                {
                    listing.AddNormal(image, type);
                }
                else
                {
                    var mask = Path.Combine(maskRoot, type, "gt", Path.GetFileNameWithoutExtension(image) + ".png");
                    listing.AddDefective(image, type, mask);
                }
            }
        }

        return listing.Build($"MVTec 3D-AD/{category}/{splitName}", imageDir, ImageTransformOptions.EdShortSide(), category);
    }
}
