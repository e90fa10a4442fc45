using Anomaly.ED.Data;
using Microsoft.Extensions.Logging;

namespace Anomaly.ED.Cli.Datasets;

/// <summary>A dataset folder given on the command line, its layout recognised, opened with the library's readers.</summary>
internal sealed class DatasetFolder
{
    /// <summary>What the tool accepts, for error messages.</summary>
    public const string Expected =
        "expected a folder of normal images (fit), a folder with good/ and defect-type folders (test), or a category folder of "
        + "MVTec AD (train/good, test/<type>, ground_truth), BTAD (train/ok, test/ok|ko) or MVTec 3D-AD (train/good/rgb)";

    private static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".bmp"];

    private DatasetFolder(string path, DatasetLayout layout)
    {
        Path = path;
        Layout = layout;
    }

    /// <summary>The folder's full path.</summary>
    public string Path { get; }

    /// <summary>The recognised or requested layout.</summary>
    public DatasetLayout Layout { get; }

    /// <summary>The category name (the folder's name).</summary>
    public string Category => System.IO.Path.GetFileName(Path);

    /// <summary>Locates a dataset folder and recognises its layout.</summary>
    /// <exception cref="CliUsageException">The folder does not exist, or does not have the requested layout.</exception>
    public static DatasetFolder Locate(string path, DatasetLayout layout)
    {
        var full = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(path));
        if (!Directory.Exists(full))
        {
            throw new CliUsageException($"The dataset folder '{full}' does not exist; {Expected}.");
        }

        var recognised = Recognise(full);
        if (layout != DatasetLayout.Auto && layout != recognised && !(layout == DatasetLayout.Folder && recognised == DatasetLayout.Mvtec))
        {
            throw new CliUsageException($"'{full}' is not laid out as {layout} (it looks like {recognised}); {Expected}.");
        }

        return new DatasetFolder(full, layout == DatasetLayout.Auto ? recognised : layout);
    }

    /// <summary>The normal training images.</summary>
    public ImageDataset OpenTraining(ILogger logger)
    {
        if (Layout == DatasetLayout.Folder)
        {
            if (!Directory.EnumerateFiles(Path).Any(IsImage))
            {
                throw new CliUsageException($"No images ({string.Join(", ", ImageExtensions)}) in '{Path}'; {Expected}.");
            }

            return FolderDataset.Open(new FolderDatasetOptions { NormalDirectory = Path, Name = Category }, logger);
        }

        return Open(DatasetSplit.Train, logger);
    }

    /// <summary>The labelled test images (normal and defective, with masks where the layout has them).</summary>
    public ImageDataset OpenTest(ILogger logger)
    {
        if (Layout != DatasetLayout.Folder)
        {
            return Open(DatasetSplit.Test, logger);
        }

        return OpenLabelled(Path, System.IO.Path.Combine(Path, "ground_truth"), Category, logger);
    }

    private ImageDataset Open(DatasetSplit split, ILogger logger)
    {
        var root = System.IO.Path.GetDirectoryName(Path)!;
        return Layout switch
        {
            DatasetLayout.Btad => BtadDataset.Open(root, Category, split, logger: logger),
            DatasetLayout.Mvtec3d => Mvtec3dRgbDataset.Open(root, Category, split, logger: logger),
            _ when MvtecAdDataset.Categories.Contains(Category, StringComparer.Ordinal) => MvtecAdDataset.Open(root, Category, split, logger: logger),

            // A folder laid out like MVTec AD under another name: the same folders, read as plain folders.
            _ => split == DatasetSplit.Train
                ? FolderDataset.Open(new FolderDatasetOptions { NormalDirectory = Require(System.IO.Path.Combine(Path, "train", "good")), Name = Category }, logger)
                : OpenLabelled(Require(System.IO.Path.Combine(Path, "test")), System.IO.Path.Combine(Path, "ground_truth"), Category, logger),
        };
    }

    // good/ holds the normal images, every other folder (but the masks') one defect type; masks are <type>/<name>_mask.<ext>.
    private static ImageDataset OpenLabelled(string testFolder, string maskFolder, string name, ILogger logger)
    {
        var normal = System.IO.Path.Combine(testFolder, "good");
        if (!Directory.Exists(normal))
        {
            throw new CliUsageException($"The test folder '{testFolder}' has no good/ folder of normal images; {Expected}.");
        }

        return FolderDataset.Open(
            new FolderDatasetOptions
            {
                NormalDirectory = normal,
                DefectDirectories = [.. Directory.EnumerateDirectories(testFolder).Where(d => d != normal && d != maskFolder).Order(StringComparer.Ordinal)],
                MaskDirectory = Directory.Exists(maskFolder) ? maskFolder : null,
                MaskSuffix = "_mask",
                Name = name,
            },
            logger);
    }

    private static string Require(string folder) => Directory.Exists(folder)
        ? folder
        : throw new CliUsageException($"The folder '{folder}' does not exist; {Expected}.");

    private static DatasetLayout Recognise(string path)
    {
        bool Has(params string[] parts) => Directory.Exists(System.IO.Path.Combine([path, .. parts]));
        if (Has("train", "good", "rgb"))
        {
            return DatasetLayout.Mvtec3d;
        }

        if (Has("train", "ok") || Has("test", "ko"))
        {
            return DatasetLayout.Btad;
        }

        return Has("train", "good") || (Has("test") && Has("ground_truth")) ? DatasetLayout.Mvtec : DatasetLayout.Folder;
    }

    private static bool IsImage(string file) => ImageExtensions.Contains(System.IO.Path.GetExtension(file), StringComparer.OrdinalIgnoreCase);
}
