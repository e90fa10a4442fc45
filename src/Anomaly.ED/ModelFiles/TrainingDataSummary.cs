using System.Globalization;
using System.Text.Json.Serialization;
using Anomaly.ED.Data;

namespace Anomaly.ED.ModelFiles;

/// <summary>
/// What a model learned from, recorded in the model file when it is fitted and when normal images are added: the
/// sources of normal images with their counts and image sizes, when, and how much was run (ED/FOD epochs; HETMM
/// templates). Files written before the library recorded it have none (<see cref="ModelFileInfo.TrainingData"/> is null).
/// </summary>
public sealed record TrainingDataSummary
{
    /// <summary>The normal images the model learned from, over every source (images held out for validation or calibration excluded).</summary>
    [JsonIgnore]
    public int Images => Sources.Sum(s => s.Images);

    /// <summary>Where the normal images came from: the fitted set first, then each set added afterwards, in order.</summary>
    public required IReadOnlyList<TrainingDataSource> Sources { get; init; }

    /// <summary>When the model was last fitted (or first given normal images), in UTC.</summary>
    public required DateTime FittedUtc { get; init; }

    /// <summary>ED/FOD: the training epochs run; null for HETMM, which does not train.</summary>
    public int? Epochs { get; init; }

    /// <summary>HETMM: the templates kept per pixel position (every normal image's features, or the PTS sheets); null for ED/FOD.</summary>
    public long? Templates { get; init; }

    /// <summary>The distinct image sizes over every source, as "width x height" (for example <c>900x900</c>), smallest first.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> ImageSizes => Sources.SelectMany(s => s.ImageSizes).Distinct(StringComparer.Ordinal).Order(SizeOrder.Instance).ToArray();

    /// <summary>The summary of a fit on <paramref name="images"/>, replacing whatever the model learned before.</summary>
    internal static TrainingDataSummary Fitted(ImageDataset images, int used, IEnumerable<(int Height, int Width)> sizes, int? epochs, long? templates) => new()
    {
        Sources = [TrainingDataSource.From(images, used, sizes)],
        FittedUtc = DateTime.UtcNow,
        Epochs = epochs,
        Templates = templates,
    };

    /// <summary>This summary (or a new one, for a model never fitted) with one more source of normal images.</summary>
    internal static TrainingDataSummary Added(TrainingDataSummary? current, ImageDataset images, int used, IEnumerable<(int Height, int Width)> sizes, long? templates)
    {
        var source = TrainingDataSource.From(images, used, sizes);
        return current is null
            ? new TrainingDataSummary { Sources = [source], FittedUtc = source.AddedUtc, Templates = templates }
            : current with { Sources = [.. current.Sources, source], Templates = templates };
    }

    /// <summary>Orders "WxH" sizes by area, then width.</summary>
    internal sealed class SizeOrder : IComparer<string>
    {
        public static readonly SizeOrder Instance = new();

        public int Compare(string? x, string? y) => (Key(x), x).CompareTo((Key(y), y));

        private static long Key(string? size)
        {
            var parts = (size ?? string.Empty).Split('x');
            return parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var w) && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var h)
                ? w * h
                : long.MaxValue;
        }
    }
}
