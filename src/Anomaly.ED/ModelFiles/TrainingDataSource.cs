using System.Globalization;
using Anomaly.ED.Data;

namespace Anomaly.ED.ModelFiles;

/// <summary>One set of normal images a model learned from (see <see cref="TrainingDataSummary"/>).</summary>
/// <param name="Name">The dataset's name, such as <c>MVTec AD/bottle/train</c>.</param>
/// <param name="Root">The folder that holds all of its images (their common folder), or null when they share none.</param>
/// <param name="Images">The images the model learned from.</param>
/// <param name="ImageSizes">The distinct sizes of those images as "width x height" (for example <c>900x900</c>), smallest first.</param>
/// <param name="AddedUtc">When the model learned from them, in UTC.</param>
public sealed record TrainingDataSource(string Name, string? Root, int Images, IReadOnlyList<string> ImageSizes, DateTime AddedUtc)
{
    internal static TrainingDataSource From(ImageDataset images, int used, IEnumerable<(int Height, int Width)> sizes) => new(
        images.Name,
        CommonFolder(images.Items.Select(i => i.ImagePath)),
        used,
        sizes.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Width}x{s.Height}")).Distinct(StringComparer.Ordinal).Order(TrainingDataSummary.SizeOrder.Instance).ToArray(),
        DateTime.UtcNow);

    private static string? CommonFolder(IEnumerable<string> paths)
    {
        string? common = null;
        foreach (var path in paths)
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(path));
            while (common is not null && folder is not null && !IsWithin(folder, common))
            {
                common = Path.GetDirectoryName(common);
            }

            common = common is null ? folder : common;
            if (folder is null || common is null)
            {
                return null;
            }
        }

        return common;
    }

    private static bool IsWithin(string folder, string ancestor) =>
        folder.Equals(ancestor, StringComparison.Ordinal) || folder.StartsWith(ancestor.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
