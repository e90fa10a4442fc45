using Microsoft.Extensions.Logging;

namespace Anomaly.ED.Data;

/// <summary>
/// Lists BTAD as ED's reader does: <c>&lt;root&gt;/&lt;category&gt;/&lt;train|test&gt;/&lt;type&gt;/*.bmp|*.png</c>, types and
/// files sorted ordinally, <c>ok</c> normal, masks at <c>&lt;category&gt;/ground_truth/&lt;type&gt;/&lt;name&gt;.png</c>
/// (<c>.bmp</c> for category <c>03</c>).
/// </summary>
public static class BtadDataset
{
    /// <summary>The normal type name (folder <c>ok</c>).</summary>
    public const string NormalType = "ok";

    /// <summary>The three BTAD products.</summary>
    public static IReadOnlyList<string> Categories { get; } = ["01", "02", "03"];

    private static readonly string[] Extensions = [".bmp", ".png"];

    /// <summary>Lists one category and split.</summary>
    /// <param name="root">The dataset folder holding <c>01</c>, <c>02</c> and <c>03</c>.</param>
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
        DatasetListing.RequireCategory(Categories, category, "BTAD");
        var splitName = DatasetListing.SplitFolder(split);
        DatasetListing.RequireDirectory(root, "BTAD dataset");
        var categoryDir = DatasetListing.RequireDirectory(Path.Combine(root, category), "BTAD category");
        var imageDir = DatasetListing.RequireDirectory(Path.Combine(categoryDir, splitName), $"BTAD '{splitName}'");
        var maskRoot = Path.Combine(categoryDir, "ground_truth");
        var maskExtension = category == "03" ? ".bmp" : ".png";

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
                    var mask = Path.Combine(maskRoot, type, Path.GetFileNameWithoutExtension(image) + maskExtension);
                    listing.AddDefective(image, type, mask);
                }
            }
        }

        return listing.Build($"BTAD/{category}/{splitName}", imageDir, ImageTransformOptions.EdShortSide(), category);
    }
}
