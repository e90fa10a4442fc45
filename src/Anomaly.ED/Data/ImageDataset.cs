using System.Globalization;

namespace Anomaly.ED.Data;

/// <summary>
/// An immutable listing of images with labels, defect types and mask files (no pixels are read), plus the
/// preprocessing its reference implementation uses. Load it with <see cref="DatasetLoader"/>.
/// </summary>
public sealed class ImageDataset
{
    private readonly ImageTransformOptions referenceTransform;

    /// <summary>Creates a dataset from items already listed.</summary>
    /// <param name="name">A display name, such as <c>MVTec AD/bottle/test</c>.</param>
    /// <param name="items">The items, in loading order.</param>
    /// <param name="skippedFiles">Files left out while listing.</param>
    public ImageDataset(string name, IEnumerable<DatasetItem> items, IEnumerable<SkippedFile>? skippedFiles = null)
        : this(name, items, null, skippedFiles)
    {
    }

    /// <summary>Creates a dataset whose benchmark reader knows the preprocessing of the reference implementation (ED's square pipeline when null).</summary>
    internal ImageDataset(string name, IEnumerable<DatasetItem> items, ImageTransformOptions? referenceTransform, IEnumerable<SkippedFile>? skippedFiles)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(items);
        Name = name;
        Items = items.ToArray();
        if (Items.Any(i => i is null))
        {
            throw new ArgumentException($"The items of dataset '{name}' contain null.", nameof(items));
        }

        this.referenceTransform = (referenceTransform ?? ImageTransformOptions.EdSquare()).Clone();
        SkippedFiles = skippedFiles?.ToArray() ?? [];
        NormalCount = Items.Count(i => !i.IsDefective);
    }

    /// <summary>The display name.</summary>
    public string Name { get; }

    /// <summary>The items in loading order (the reference implementation's order for the benchmark readers).</summary>
    public IReadOnlyList<DatasetItem> Items { get; }

    /// <summary>The benchmark category the images belong to (for example <c>"bottle"</c>), when a benchmark reader listed them; null otherwise.</summary>
    public string? Category { get; init; }

    /// <summary>Files left out while listing (under <see cref="BadFilePolicy.Skip"/>).</summary>
    public IReadOnlyList<SkippedFile> SkippedFiles { get; }

    /// <summary>Number of items.</summary>
    public int Count => Items.Count;

    /// <summary>Number of normal items.</summary>
    public int NormalCount { get; }

    /// <summary>Number of defective items.</summary>
    public int DefectiveCount => Items.Count - NormalCount;

    /// <summary>The distinct defect types (including the normal type name), in order of first appearance.</summary>
    public IReadOnlyList<string> DefectTypes => Items.Select(i => i.DefectType).Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>A copy of the preprocessing the reference implementation applies to this dataset.</summary>
    internal ImageTransformOptions ReferenceTransform => referenceTransform.Clone();

    /// <summary>Refuses a set that cannot teach the normal appearance: an empty one, or one holding defective images.</summary>
    /// <param name="role">What the set is for, as the message names it (e.g. "Training set").</param>
    /// <param name="parameterName">The caller's parameter, named in the exception.</param>
    /// <exception cref="ArgumentException">The set is empty or holds defective images.</exception>
    internal void RequireNormalImagesOnly(string role, string parameterName)
    {
        if (Count == 0)
        {
            throw new ArgumentException($"{role} '{Name}' is empty.", parameterName);
        }

        if (DefectiveCount > 0)
        {
            throw new ArgumentException(
                $"{role} '{Name}' holds {DefectiveCount} defective images (first: '{Items.First(i => i.IsDefective).ImagePath}'); it must hold normal images only.",
                parameterName);
        }
    }

    /// <summary>
    /// Holds out a seeded random fraction of the normal items for validation. The number held out is
    /// round(fraction * normals), at least 1 and at most normals - 1; defective items stay in training.
    /// </summary>
    /// <param name="fraction">Fraction of normal items to hold out, in (0, 1).</param>
    /// <param name="seed">Seed of the shuffle; the same seed and listing give the same split.</param>
    /// <returns>The training and validation datasets, each in the original order.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fraction"/> is not in (0, 1).</exception>
    /// <exception cref="InvalidOperationException">There are fewer than two normal items.</exception>
    internal TrainValidationSplit HoldOutNormals(double fraction, int seed)
    {
        if (!(fraction > 0 && fraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The validation fraction must lie strictly between 0 and 1.");
        }

        if (NormalCount < 2)
        {
            throw new InvalidOperationException(string.Format(
                CultureInfo.InvariantCulture, "Dataset '{0}' has {1} normal item(s); at least 2 are needed to hold some out.", Name, NormalCount));
        }

        var normals = Enumerable.Range(0, Items.Count).Where(i => !Items[i].IsDefective).ToArray();
        var count = Math.Clamp((int)Math.Round(fraction * normals.Length, MidpointRounding.AwayFromZero), 1, normals.Length - 1);

        // System.Random with a seed is stable across .NET versions (legacy seeded algorithm).
        var random = new Random(seed);
        for (var i = normals.Length - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (normals[i], normals[j]) = (normals[j], normals[i]);
        }

        var heldOut = normals.Take(count).ToHashSet();
        var training = Items.Where((_, i) => !heldOut.Contains(i));
        var validation = Items.Where((_, i) => heldOut.Contains(i));
        return new TrainValidationSplit(
            new ImageDataset(Name + "/training", training, referenceTransform, SkippedFiles) { Category = Category },
            new ImageDataset(Name + "/validation", validation, referenceTransform, null) { Category = Category });
    }
}
