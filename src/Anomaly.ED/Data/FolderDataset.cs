using Microsoft.Extensions.Logging;

namespace Anomaly.ED.Data;

/// <summary>
/// Lists a plain-folder dataset: a folder of normal images, optional folders of defective images (one per
/// defect type) and an optional mask folder (see <see cref="FolderDatasetOptions.MaskDirectory"/> for the name rule).
/// Normal images come first, then each defect folder in the given order; files are sorted by name ordinally.
/// </summary>
public static class FolderDataset
{
    /// <summary>Lists the folders described by <paramref name="options"/>.</summary>
    /// <param name="options">Folders, mask rule and extensions.</param>
    /// <param name="logger">Receives warnings and a summary; none when null.</param>
    /// <returns>The listing.</returns>
    /// <exception cref="ArgumentException">The options name no folder, or hold an invalid value.</exception>
    /// <exception cref="DatasetException">A folder or mask is missing, a folder cannot be listed, or no image is found.</exception>
    public static ImageDataset Open(FolderDatasetOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var extensions = Validate(options);
        var listing = new DatasetListing(options.BadFiles, logger);
        var searched = new List<string>();

        if (options.NormalDirectory is not null)
        {
            var normalDir = DatasetListing.RequireDirectory(options.NormalDirectory, "normal-image");
            searched.Add(normalDir);
            foreach (var image in listing.SortedImages(normalDir, extensions))
            {
                listing.AddNormal(image, options.NormalTypeName);
            }
        }

        if (options.MaskDirectory is not null)
        {
            DatasetListing.RequireDirectory(options.MaskDirectory, "mask");
        }

        foreach (var defectDir in options.DefectDirectories)
        {
            DatasetListing.RequireDirectory(defectDir, "defect-image");
            searched.Add(defectDir);
            var type = Path.GetFileName(Path.TrimEndingDirectorySeparator(defectDir));
            foreach (var image in listing.SortedImages(defectDir, extensions))
            {
                var mask = options.MaskDirectory is null ? null : FindMask(options.MaskDirectory, type, image, options.MaskSuffix, extensions);
                listing.AddDefective(image, type, mask);
            }
        }

        return listing.Build(options.Name, string.Join(Path.PathSeparator, searched), options.Transform ?? ImageTransformOptions.EdSquare());
    }

    private static string FindMask(string maskDirectory, string type, string image, string suffix, IReadOnlyList<string> extensions)
    {
        var stem = Path.GetFileNameWithoutExtension(image) + suffix;
        var candidates = extensions.Select(e => Path.Combine(maskDirectory, type, stem + e))
            .Concat(extensions.Select(e => Path.Combine(maskDirectory, stem + e)));
        foreach (var candidate in candidates)
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        // Reported as missing by the listing, under the first name the rule tries.
        return Path.Combine(maskDirectory, type, stem + extensions[0]);
    }

    private static string[] Validate(FolderDatasetOptions options)
    {
        var problems = new List<string>();
        if (options.NormalDirectory is null && (options.DefectDirectories is null || options.DefectDirectories.Count == 0))
        {
            problems.Add("Set NormalDirectory, DefectDirectories, or both.");
        }

        if (options.DefectDirectories?.Any(string.IsNullOrEmpty) == true)
        {
            problems.Add("DefectDirectories contains an empty path.");
        }

        if (options.Extensions is null || options.Extensions.Count == 0 || options.Extensions.Any(e => string.IsNullOrEmpty(e) || e[0] != '.'))
        {
            problems.Add("Extensions must hold at least one extension, each starting with '.' (such as \".png\").");
        }

        if (string.IsNullOrEmpty(options.NormalTypeName))
        {
            problems.Add("NormalTypeName must not be empty.");
        }

        if (string.IsNullOrEmpty(options.Name))
        {
            problems.Add("Name must not be empty.");
        }

        if (options.MaskSuffix is null)
        {
            problems.Add("MaskSuffix must not be null (use the empty string).");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid folder dataset options: " + string.Join(" ", problems), nameof(options));
        }

        return options.Extensions!.ToArray();
    }
}
