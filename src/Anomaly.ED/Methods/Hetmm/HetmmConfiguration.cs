using System.Globalization;

namespace Anomaly.ED.Methods.Hetmm;

/// <summary>One level's matching: forward and backward window sides, the weight alpha of the forward map and the level weight lambda.</summary>
internal sealed record HetmmLevelParameters(int ForwardPatch, int BackwardPatch, double Alpha, double Lambda);

/// <summary>How a map is post-processed: not at all, HETMM's zero-padded Gaussian blur, or the mean of a max-pooling.</summary>
internal enum MapFilterKind
{
    Clean,
    Blur,
    MaxPoolMean,
}

/// <summary>A post-processing step of the reference (<c>clean</c>, <c>blur_s=sigma_k=size</c>, <c>mp_k=size</c>).</summary>
internal sealed record MapFilter(MapFilterKind Kind, double Sigma = 0, int KernelSize = 0)
{
    public static MapFilter Clean { get; } = new(MapFilterKind.Clean);
}

/// <summary>
/// HETMM's parameters parsed from the reference's string syntax (see <see cref="HetmmPresets"/>): the levels' matching,
/// and the post-processing of the image score, of the pixel map and of the map the reference uses for PRO.
/// </summary>
internal sealed record HetmmConfiguration(IReadOnlyList<HetmmLevelParameters> Levels, MapFilter ImageScore, MapFilter PixelMap, MapFilter RegionMap)
{
    /// <summary>The configuration of validated options: <see cref="HetmmOptions.Parameters"/> when set, else the preset.</summary>
    public static HetmmConfiguration FromOptions(HetmmOptions options)
    {
        var text = options.Parameters ?? HetmmPresets.Get(options.Preset);
        return TryParse(text, out var configuration, out var error) ? configuration : throw new ArgumentException($"HETMM parameters '{text}': {error}");
    }

    /// <summary>Parses a parameter string; on failure <paramref name="error"/> says what is wrong.</summary>
    public static bool TryParse(string text, out HetmmConfiguration configuration, out string error)
    {
        configuration = null!;
        var parts = text.Split(';');
        if (parts.Length != 2)
        {
            error = "expected the level part and the post-processing part separated by one ';'.";
            return false;
        }

        var levels = new List<HetmmLevelParameters>();
        foreach (var level in parts[0].Split('|'))
        {
            if (!TryParseLevel(level, out var parameters, out error))
            {
                return false;
            }

            levels.Add(parameters);
        }

        var filters = new Dictionary<string, MapFilter>(StringComparer.Ordinal);
        foreach (var metric in parts[1].Split('|'))
        {
            var fields = metric.Split(':');
            if (fields.Length != 2 || fields[0] is not ("img_AUC" or "pix_AUC" or "PRO"))
            {
                error = $"post-processing entry '{metric}' is not 'img_AUC:…', 'pix_AUC:…' or 'PRO:…'.";
                return false;
            }

            if (!TryParseFilter(fields[1], out var filter, out error))
            {
                return false;
            }

            if (!filters.TryAdd(fields[0], filter))
            {
                error = $"post-processing of {fields[0]} is given twice.";
                return false;
            }
        }

        if (filters.GetValueOrDefault("pix_AUC")?.Kind == MapFilterKind.MaxPoolMean || filters.GetValueOrDefault("PRO")?.Kind == MapFilterKind.MaxPoolMean)
        {
            error = "mp (max-pool mean) reduces a map to one number: it is allowed for img_AUC only.";
            return false;
        }

        configuration = new HetmmConfiguration(levels, filters.GetValueOrDefault("img_AUC") ?? MapFilter.Clean, filters.GetValueOrDefault("pix_AUC") ?? MapFilter.Clean, filters.GetValueOrDefault("PRO") ?? MapFilter.Clean);
        error = string.Empty;
        return true;
    }

    // "L1:5x3_a=0.3_l=1" (the "L1:" label is optional and only names the level).
    private static bool TryParseLevel(string text, out HetmmLevelParameters parameters, out string error)
    {
        parameters = null!;
        var body = text.Split(':')[^1];
        var fields = body.Split('_');
        var patches = fields[0].Split('x');
        if (fields.Length != 3 || patches.Length != 2
            || !int.TryParse(patches[0], NumberStyles.None, CultureInfo.InvariantCulture, out var forward)
            || !int.TryParse(patches[1], NumberStyles.None, CultureInfo.InvariantCulture, out var backward)
            || !TryNamedNumber(fields[1], "a", out var alpha) || !TryNamedNumber(fields[2], "l", out var lambda))
        {
            error = $"level '{text}' is not of the form 'Ln:FxB_a=alpha_l=lambda'.";
            return false;
        }

        if (forward < 1 || backward < 1 || forward > 63 || backward > 63)
        {
            error = $"level '{text}': window sides must lie in 1..63.";
            return false;
        }

        if (alpha is < 0 or > 1 || !double.IsFinite(lambda) || lambda < 0)
        {
            error = $"level '{text}': alpha must lie in [0, 1] and lambda must be finite and not negative.";
            return false;
        }

        parameters = new HetmmLevelParameters(forward, backward, alpha, lambda);
        error = string.Empty;
        return true;
    }

    private static bool TryParseFilter(string text, out MapFilter filter, out string error)
    {
        filter = MapFilter.Clean;
        error = string.Empty;
        var fields = text.Split('_');
        switch (fields[0])
        {
            case "clean" when fields.Length == 1:
                return true;
            case "blur" when fields.Length == 3 && TryNamedNumber(fields[1], "s", out var sigma) && TryNamedNumber(fields[2], "k", out var size):
                if (!(sigma > 0) || !double.IsFinite(sigma) || size < 1 || size > 255 || size != Math.Floor(size) || size % 2 == 0)
                {
                    error = $"'{text}': the blur needs sigma > 0 and an odd kernel size in 1..255 (zero padding of size / 2 keeps the map size only for odd sizes).";
                    return false;
                }

                filter = new MapFilter(MapFilterKind.Blur, sigma, (int)size);
                return true;
            case "mp" when fields.Length == 2 && TryNamedNumber(fields[1], "k", out var pool):
                if (pool < 1 || pool > 4096 || pool != Math.Floor(pool))
                {
                    error = $"'{text}': the max-pool size must be an integer in 1..4096.";
                    return false;
                }

                filter = new MapFilter(MapFilterKind.MaxPoolMean, 0, (int)pool);
                return true;
            default:
                error = $"'{text}' is not 'clean', 'blur_s=sigma_k=size' or 'mp_k=size'.";
                return false;
        }
    }

    private static bool TryNamedNumber(string text, string name, out double value)
    {
        value = 0;
        var pair = text.Split('=');
        return pair.Length == 2 && pair[0] == name && double.TryParse(pair[1], NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }
}
