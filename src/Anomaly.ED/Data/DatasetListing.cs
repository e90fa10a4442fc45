using Microsoft.Extensions.Logging;

namespace Anomaly.ED.Data;

/// <summary>Shared folder-listing rules of the dataset readers: ordinal sorting (as Python's sorted) and clear errors.</summary>
internal sealed class DatasetListing
{
    private readonly List<DatasetItem> items = [];
    private readonly List<SkippedFile> skipped = [];
    private readonly BadFilePolicy policy;
    private readonly ILogger logger;

    public DatasetListing(BadFilePolicy policy, ILogger? logger)
    {
        if (!Enum.IsDefined(policy))
        {
            throw new ArgumentOutOfRangeException(nameof(policy), policy, "Unknown bad-file policy.");
        }

        this.policy = policy;
        this.logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    public ILogger Logger => logger;

    public static string RequireDirectory(string path, string what)
    {
        if (!Directory.Exists(path))
        {
            throw new DatasetException(path, $"The {what} folder does not exist");
        }

        return path;
    }

    public static string RequireCategory(IReadOnlyList<string> categories, string category, string datasetName)
    {
        ArgumentNullException.ThrowIfNull(category);
        if (!categories.Contains(category, StringComparer.Ordinal))
        {
            throw new ArgumentException($"Unknown {datasetName} category '{category}'; expected one of: {string.Join(", ", categories)}.", nameof(category));
        }

        return category;
    }

    public static string SplitFolder(DatasetSplit split) => split switch
    {
        DatasetSplit.Train => "train",
        DatasetSplit.Test => "test",
        _ => throw new ArgumentOutOfRangeException(nameof(split), split, "Unknown dataset split."),
    };

    /// <summary>Sub-folder names sorted ordinally (files are ignored, as the reference readers do).</summary>
    public static string[] SortedSubdirectories(string directory)
    {
        var names = Enumerate(directory, () => Directory.EnumerateDirectories(directory).Select(d => Path.GetFileName(d)!).ToArray());
        Array.Sort(names, StringComparer.Ordinal);
        return names;
    }

    /// <summary>Files of the folder whose extension is in <paramref name="extensions"/> (case-insensitive), sorted by name ordinally.</summary>
    public string[] SortedImages(string directory, IReadOnlyCollection<string> extensions)
    {
        var files = Enumerate(directory, () => Directory.EnumerateFiles(directory)
            .Where(f => extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .ToArray());
        Array.Sort(files, (a, b) => string.CompareOrdinal(Path.GetFileName(a), Path.GetFileName(b)));
        if (files.Length == 0)
        {
            Log.EmptyFolder(logger, directory, string.Join(", ", extensions));
        }

        return files;
    }

    // A folder that cannot be listed (no permission, a link loop, removed meanwhile) is the dataset's fault, named.
    private static string[] Enumerate(string directory, Func<string[]> list)
    {
        try
        {
            return list();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DatasetException(directory, $"The folder cannot be listed ({ex.Message})", ex);
        }
    }

    public void AddNormal(string imagePath, string typeName) => items.Add(new DatasetItem(imagePath, AnomalyLabel.Normal, typeName, null));

    /// <summary>Adds a defective item whose mask must exist (unless <paramref name="maskPath"/> is null: no masks in this dataset).</summary>
    public void AddDefective(string imagePath, string typeName, string? maskPath)
    {
        if (maskPath is not null && !File.Exists(maskPath))
        {
            var reason = $"Missing mask of image '{imagePath}'";
            if (policy == BadFilePolicy.Throw)
            {
                throw new DatasetException(maskPath, reason);
            }

            Skip(maskPath, reason);
            return;
        }

        items.Add(new DatasetItem(imagePath, AnomalyLabel.Defective, typeName, maskPath));
    }

    public ImageDataset Build(string name, string searchedFolder, ImageTransformOptions referenceTransform, string? category = null)
    {
        if (items.Count == 0)
        {
            throw new DatasetException(searchedFolder, skipped.Count == 0
                ? "No images were found under the folder"
                : $"Every image under the folder was skipped ({skipped.Count}); no images remain under");
        }

        var dataset = new ImageDataset(name, items, referenceTransform, skipped) { Category = category };
        Log.DatasetListed(logger, dataset.Count, dataset.DefectiveCount, skipped.Count, name);
        return dataset;
    }

    private void Skip(string path, string reason)
    {
        skipped.Add(new SkippedFile(path, reason));
        Log.SkippedFile(logger, path, reason);
    }
}
