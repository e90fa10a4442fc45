using Anomaly.ED.Data;
using Anomaly.ED.Tests.Data;
using Xunit.Abstractions;

namespace Anomaly.ED.Tests.Reliability;

/// <summary>
/// The dataset folder readers (MVTec AD, BTAD, MVTec 3D-AD, plain folders) and the loader under hostile folder trees:
/// missing folders, files where folders are expected, empty folders, masks missing, of the wrong size or not images,
/// odd and non-ASCII names, symbolic-link loops, unreadable files, zero-byte images and huge declared sizes. Every case
/// lists and loads, or ends in <see cref="DatasetException"/> / <see cref="ImageDecodeException"/> naming a path inside
/// the dataset; under <see cref="BadFilePolicy.Skip"/> a bad image or mask is skipped, never thrown.
/// </summary>
public sealed class DatasetFuzzTests(ITestOutputHelper output)
{
    private static readonly ImageTransform Transform = new(ImageTransformOptions.EdSquare(8));

    private static readonly string[] Readers = ["mvtec", "btad", "mvtec3d", "folder"];

    [Fact]
    public void HostileFolderTreesListAndLoadOrAreRefusedNamingThePath()
    {
        // A case is a seed: it picks the reader, the policy and the edits, so a finding replays from its 4 bytes.
        var inputs = SafetensorsFuzzTests.Regressions("dataset")
            .Concat(Enumerable.Range(0, int.MaxValue).Select(BitConverter.GetBytes));

        var report = MutationFuzzer.Run("dataset", inputs, RunCase, [typeof(DatasetException), typeof(ImageDecodeException)], MutationFuzzer.Budget(8), MutationFuzzer.MaxCases(2_000));

        output.WriteLine(report.ToString());
        report.Findings.Should().BeEmpty(report.ToString());
        report.Cases.Should().BeGreaterThan(40);
        report.Accepted.Should().BeGreaterThan(0);
        report.Rejected.Should().BeGreaterThan(0);
    }

    private static void RunCase(byte[] input)
    {
        var seed = BitConverter.ToInt32(input.Length >= 4 ? input : [.. input, 0, 0, 0, 0]);
        var random = new Random(seed);
        using var folder = new TempDirectory();
        var reader = Readers[random.Next(Readers.Length)];
        var policy = random.Next(2) == 0 ? BadFilePolicy.Throw : BadFilePolicy.Skip;
        switch (reader)
        {
            case "mvtec":
                DatasetLayouts.WriteMvtecAd(folder);
                break;
            case "btad":
                DatasetLayouts.WriteBtad(folder);
                break;
            case "mvtec3d":
                DatasetLayouts.WriteMvtec3d(folder);
                break;
            default:
                DatasetLayouts.WriteMvtecAd(folder);
                break;
        }

        for (var edits = random.Next(1, 4); edits > 0; edits--)
        {
            Edit(folder.Path, random);
        }

        try
        {
            var dataset = Open(reader, folder.Path, random.Next(2) == 0 ? DatasetSplit.Train : DatasetSplit.Test, policy);
            var loader = new DatasetLoader(Transform, new DatasetLoaderOptions { BatchSize = 3, MaxDegreeOfParallelism = 2, BadFiles = policy });
            var loaded = new List<string>();
            foreach (var batch in loader.ReadBatches(dataset.Items))
            {
                batch.Images.shape.Should().Equal(batch.Count, 3, 8, 8);
                loaded.AddRange(batch.Paths);
                batch.Dispose();
            }

            // Nothing is lost: every listed item is loaded, in order, or skipped with its reason.
            loaded.Should().Equal(dataset.Items.Select(i => i.ImagePath).Where(loaded.Contains));
            (loaded.Count + loader.SkippedCount).Should().Be(dataset.Count);
        }
        catch (DatasetException e)
        {
            e.Path.Should().StartWith(folder.Path, "the exception names a path of the dataset");
            throw;
        }
        catch (ImageDecodeException e)
        {
            e.FilePath.Should().StartWith(folder.Path, "the exception names a file of the dataset");
            policy.Should().Be(BadFilePolicy.Throw, $"a bad file is skipped under BadFilePolicy.Skip ({e.Message})");
            throw;
        }
        finally
        {
            MakeDeletable(folder.Path);
        }
    }

    // Undoes the edits that take permissions away (effective when the tests do not run as root), folder before contents.
    private static void MakeDeletable(string folder)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos())
        {
            if (entry.LinkTarget is not null)
            {
                continue;
            }

            if (entry is DirectoryInfo)
            {
                MakeDeletable(entry.FullName);
            }
            else
            {
                File.SetUnixFileMode(entry.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }
    }

    private static ImageDataset Open(string reader, string root, DatasetSplit split, BadFilePolicy policy) => reader switch
    {
        "mvtec" => MvtecAdDataset.Open(root, "bottle", split, policy),
        "btad" => BtadDataset.Open(root, "01", split, policy),
        "mvtec3d" => Mvtec3dRgbDataset.Open(root, "bagel", split, policy),
        _ => FolderDataset.Open(new FolderDatasetOptions
        {
            NormalDirectory = Path.Combine(root, "bottle", "test", "good"),
            DefectDirectories = Directory.Exists(Path.Combine(root, "bottle", "test"))
                ? [.. Directory.GetDirectories(Path.Combine(root, "bottle", "test")).Where(d => !d.EndsWith("good", StringComparison.Ordinal)).Order(StringComparer.Ordinal)]
                : [Path.Combine(root, "bottle", "test", "broken_large")],
            MaskDirectory = Path.Combine(root, "bottle", "ground_truth"),
            MaskSuffix = "_mask",
            BadFiles = policy,
        }),
    };

    /// <summary>One hostile change to a random file or folder of the tree.</summary>
    private static void Edit(string root, Random random)
    {
        var folders = Directory.GetDirectories(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }).Order(StringComparer.Ordinal).ToArray();
        var files = Directory.GetFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }).Order(StringComparer.Ordinal).ToArray();
        if (folders.Length == 0 || files.Length == 0)
        {
            return;
        }

        var folder = folders[random.Next(folders.Length)];
        var file = files[random.Next(files.Length)];
        switch (random.Next(16))
        {
            case 0:
                Directory.Delete(folder, recursive: true);                                   // a folder missing
                break;
            case 1:
                Directory.Delete(folder, recursive: true);
                File.WriteAllText(folder, "a file where a folder is expected");
                break;
            case 2:
                foreach (var inside in Directory.GetFiles(folder))
                {
                    File.Delete(inside);                                                     // an empty folder
                }

                break;
            case 3:
                File.WriteAllBytes(file, []);                                                // a zero-byte image or mask
                break;
            case 4:
                File.WriteAllText(file, "not an image");
                break;
            case 5:
                File.WriteAllBytes(file, File.ReadAllBytes(file)[..(int)(new FileInfo(file).Length / 2)]);   // truncated
                break;
            case 6:
                File.WriteAllBytes(file, TestImageFiles.Png(20000, 20000, 8, 2, []));        // a huge declared size
                break;
            case 7:
                File.WriteAllBytes(file, TestImageFiles.Png(int.MaxValue, int.MaxValue, 8, 0, []));
                break;
            case 8:
                File.WriteAllBytes(file, DatasetLayouts.MaskPng(0, 0, 2, 2, width: 7, height: 5));  // another size (a mask of the wrong size)
                break;
            case 9:
                File.WriteAllBytes(file, DatasetLayouts.ColourPng(random.Next(9)));         // a colour image (as a mask: not a 0/255 mask)
                break;
            case 10:
                File.Delete(file);
                Directory.CreateDirectory(file);                                             // a folder named like an image
                break;
            case 11:
            {
                // Odd and non-ASCII names: the same content under names a listing must carry through.
                var names = new[] { "ünïcödé €.png", "😀.png", " leading space.png", "new\nline.png", "-dash.png", new string('x', 250) + ".png", "UPPER.PNG", "no-extension" };
                File.Copy(file, Path.Combine(Path.GetDirectoryName(file)!, names[random.Next(names.Length)]), overwrite: true);
                break;
            }

            case 12:
                File.CreateSymbolicLink(Path.Combine(folder, "loop"), folder);                // a folder linking to itself
                break;
            case 13:
                File.CreateSymbolicLink(Path.Combine(folder, "self.png"), Path.Combine(folder, "self.png"));   // a link to itself (ELOOP)
                break;
            case 14:
                File.CreateSymbolicLink(Path.Combine(folder, "dangling.png"), Path.Combine(root, "nowhere.png"));
                break;
            default:
                // Unreadable (only effective when not root: root reads any file).
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(random.Next(2) == 0 ? file : folder, UnixFileMode.None);
                }

                break;
        }
    }
}
