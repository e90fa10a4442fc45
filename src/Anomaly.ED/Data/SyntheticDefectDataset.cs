using System.Globalization;

namespace Anomaly.ED.Data;

/// <summary>
/// Writes a small seeded dataset of textured images, some with synthetic defects (scratches, stains, bright spots) and
/// their masks, in the plain-folder layout; for demos, smoke tests and trying the library without a real dataset.
/// </summary>
/// <remarks>
/// Layout under the root: <c>train/good</c>, <c>test/good</c>, <c>test/&lt;defect&gt;</c> and
/// <c>ground_truth/&lt;defect&gt;/&lt;name&gt;_mask.png</c>. The texture is a woven pattern with per-image jitter and noise, so
/// normal images differ from each other as real products do.
/// </remarks>
public static class SyntheticDefectDataset
{
    /// <summary>The defect types written to the test split.</summary>
    public static IReadOnlyList<string> DefectTypes { get; } = ["scratch", "stain", "spot"];

    /// <summary>Generates the dataset under <paramref name="root"/> (created if missing; existing files are overwritten).</summary>
    /// <param name="root">The dataset folder.</param>
    /// <param name="size">Image width and height in pixels (at least 32).</param>
    /// <param name="trainCount">Normal training images.</param>
    /// <param name="testNormalCount">Normal test images.</param>
    /// <param name="testDefectsPerType">Defective test images per defect type.</param>
    /// <param name="seed">Seed of every random choice.</param>
    public static void Generate(string root, int size = 256, int trainCount = 40, int testNormalCount = 10, int testDefectsPerType = 5, int seed = 7)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 32);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(trainCount);
        ArgumentOutOfRangeException.ThrowIfNegative(testNormalCount);
        ArgumentOutOfRangeException.ThrowIfNegative(testDefectsPerType);

        var random = new Random(seed);
        for (var i = 0; i < trainCount; i++)
        {
            Write(Texture(size, random), Path.Combine(root, "train", "good", Name(i)));
        }

        for (var i = 0; i < testNormalCount; i++)
        {
            Write(Texture(size, random), Path.Combine(root, "test", "good", Name(i)));
        }

        foreach (var type in DefectTypes)
        {
            for (var i = 0; i < testDefectsPerType; i++)
            {
                var image = Texture(size, random);
                var mask = new ImageBuffer(size, size, 1);
                AddDefect(type, image, mask, random);
                Write(image, Path.Combine(root, "test", type, Name(i)));
                Write(mask, Path.Combine(root, "ground_truth", type, Path.GetFileNameWithoutExtension(Name(i)) + "_mask.png"));
            }
        }
    }

    /// <summary>The normal training images of a generated dataset.</summary>
    public static ImageDataset OpenTraining(string root) =>
        FolderDataset.Open(new FolderDatasetOptions { NormalDirectory = Path.Combine(root, "train", "good"), Name = "synthetic/train" });

    /// <summary>The labelled test images (normal and defective, with masks) of a generated dataset.</summary>
    public static ImageDataset OpenTest(string root) => FolderDataset.Open(new FolderDatasetOptions
    {
        NormalDirectory = Path.Combine(root, "test", "good"),
        DefectDirectories = DefectTypes.Select(t => Path.Combine(root, "test", t)).ToList(),
        MaskDirectory = Path.Combine(root, "ground_truth"),
        MaskSuffix = "_mask",
        Name = "synthetic/test",
    });

    private static string Name(int index) => index.ToString("D3", CultureInfo.InvariantCulture) + ".png";

    private static void Write(ImageBuffer image, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        ImageEncoder.WritePng(image, path);
    }

    private static ImageBuffer Texture(int size, Random random)
    {
        var image = new ImageBuffer(size, size, 3);
        var period = size / 16.0;
        var phaseX = random.NextDouble() * period;
        var phaseY = random.NextDouble() * period;
        var tint = new[] { 150 + random.Next(10), 120 + random.Next(10), 90 + random.Next(10) };
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var weave = Math.Sin(2 * Math.PI * (x + phaseX) / period) * Math.Sin(2 * Math.PI * (y + phaseY) / period);
                var noise = (random.NextDouble() - 0.5) * 16;
                for (var c = 0; c < 3; c++)
                {
                    image.Pixels[(((y * size) + x) * 3) + c] = Clamp(tint[c] + (35 * weave) + noise);
                }
            }
        }

        return image;
    }

    private static void AddDefect(string type, ImageBuffer image, ImageBuffer mask, Random random)
    {
        var size = image.Width;
        var cx = size * (0.25 + (0.5 * random.NextDouble()));
        var cy = size * (0.25 + (0.5 * random.NextDouble()));
        switch (type)
        {
            case "scratch":
                var angle = random.NextDouble() * Math.PI;
                var length = size * 0.35;
                var half = Math.Max(1.0, size / 80.0);
                Paint(image, mask, (x, y) =>
                {
                    var (dx, dy) = (x - cx, y - cy);
                    var along = (dx * Math.Cos(angle)) + (dy * Math.Sin(angle));
                    var across = (-dx * Math.Sin(angle)) + (dy * Math.Cos(angle));
                    return Math.Abs(along) <= length / 2 && Math.Abs(across) <= half;
                }, [235, 235, 235]);
                break;
            case "stain":
                var radius = size * (0.06 + (0.04 * random.NextDouble()));
                Paint(image, mask, (x, y) => Math.Pow((x - cx) / (1.4 * radius), 2) + Math.Pow((y - cy) / radius, 2) <= 1, [60, 45, 30]);
                break;
            default:
                var side = size * 0.07;
                Paint(image, mask, (x, y) => Math.Abs(x - cx) <= side && Math.Abs(y - cy) <= side, [40, 170, 220]);
                break;
        }
    }

    private static void Paint(ImageBuffer image, ImageBuffer mask, Func<double, double, bool> inside, int[] colour)
    {
        for (var y = 0; y < image.Height; y++)
        {
            for (var x = 0; x < image.Width; x++)
            {
                if (!inside(x + 0.5, y + 0.5))
                {
                    continue;
                }

                mask.Pixels[(y * image.Width) + x] = 255;
                for (var c = 0; c < 3; c++)
                {
                    image.Pixels[(((y * image.Width) + x) * 3) + c] = (byte)colour[c];
                }
            }
        }
    }

    private static byte Clamp(double value) => (byte)Math.Clamp(Math.Round(value), 0, 255);
}
