using Anomaly.ED.Evaluation;
using Anomaly.ED.Scoring;

namespace Anomaly.ED.Visualization;

/// <summary>
/// Which anomaly values map to the two ends of the colour scale. Values below the low end take the first colour,
/// values above the high end the last.
/// </summary>
/// <remarks>
/// <see cref="PerMap"/> stretches every map over the whole scale, so a defect-free image looks as "hot" as a
/// defective one; use a fixed range (<see cref="Fixed"/>, <see cref="Unit"/> or <see cref="CenteredOn"/>) when
/// heatmaps of different images must be comparable.
/// </remarks>
public sealed class HeatmapRange
{
    private HeatmapRange(double low, double high, bool perMap)
    {
        Low = low;
        High = high;
        IsPerMap = perMap;
    }

    /// <summary>Each map's own minimum and maximum (a constant map takes the first colour).</summary>
    public static HeatmapRange PerMap { get; } = new(double.NaN, double.NaN, perMap: true);

    /// <summary>The range [0, 1], for normalised scores.</summary>
    public static HeatmapRange Unit { get; } = new(0.0, 1.0, perMap: false);

    /// <summary>True for <see cref="PerMap"/>; false for a fixed range.</summary>
    public bool IsPerMap { get; }

    /// <summary>The value of the first colour; NaN for <see cref="PerMap"/>.</summary>
    public double Low { get; }

    /// <summary>The value of the last colour; NaN for <see cref="PerMap"/>.</summary>
    public double High { get; }

    /// <summary>A fixed range from <paramref name="low"/> to <paramref name="high"/>.</summary>
    /// <param name="low">The value of the first colour.</param>
    /// <param name="high">The value of the last colour; greater than <paramref name="low"/>.</param>
    /// <returns>The range.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A bound is not finite, or <paramref name="high"/> is not above <paramref name="low"/>.</exception>
    public static HeatmapRange Fixed(double low, double high)
    {
        if (!double.IsFinite(low))
        {
            throw new ArgumentOutOfRangeException(nameof(low), low, "The low end of a heatmap range must be a finite number.");
        }

        if (!double.IsFinite(high) || high <= low)
        {
            throw new ArgumentOutOfRangeException(nameof(high), high, $"The high end of a heatmap range must be a finite number above the low end ({low}).");
        }

        return new HeatmapRange(low, high, perMap: false);
    }

    /// <summary>
    /// A fixed range with a calibrated pixel <paramref name="threshold"/> in the middle of the colour scale:
    /// [threshold - halfWidth, threshold + halfWidth], so colours past the middle mark pixels judged anomalous.
    /// </summary>
    /// <param name="threshold">The value of the middle colour, typically the calibrated pixel threshold.</param>
    /// <param name="halfWidth">The distance from the threshold to either end; positive.</param>
    /// <returns>The range.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The threshold is not finite or the half width is not a positive finite number.</exception>
    public static HeatmapRange CenteredOn(double threshold, double halfWidth)
    {
        if (!double.IsFinite(threshold))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The centre of a heatmap range must be a finite number.");
        }

        if (!double.IsFinite(halfWidth) || halfWidth <= 0.0)
        {
            throw new ArgumentOutOfRangeException(nameof(halfWidth), halfWidth, "The half width of a heatmap range must be a positive finite number.");
        }

        return Fixed(threshold - halfWidth, threshold + halfWidth);
    }

    /// <summary>
    /// The raw-value range that a model's score normalisation maps onto [0, 1]: centred on its threshold, as wide as its
    /// calibration scores. A raw map drawn with it looks as the normalised map drawn with <see cref="Unit"/>.
    /// </summary>
    /// <param name="normalization">The model's normalisation (<see cref="Calibration.Normalization"/>).</param>
    /// <returns>The range [Threshold - (Maximum - Minimum) / 2, Threshold + (Maximum - Minimum) / 2].</returns>
    public static HeatmapRange FromNormalization(ScoreNormalization normalization)
    {
        ArgumentNullException.ThrowIfNull(normalization);
        return CenteredOn(normalization.Threshold, (normalization.Maximum - normalization.Minimum) / 2.0);
    }

    /// <summary>
    /// A fixed range from the smallest to the largest value over several maps (for example a whole test set), so their
    /// heatmaps share one scale.
    /// </summary>
    /// <param name="maps">The maps; at least one, all values finite, not all equal.</param>
    /// <returns>The range.</returns>
    /// <exception cref="ArgumentException">No maps, a non-finite value, or every value equal.</exception>
    public static HeatmapRange Spanning(IEnumerable<AnomalyMap> maps)
    {
        ArgumentNullException.ThrowIfNull(maps);
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        var count = 0;
        foreach (var map in maps)
        {
            ArgumentNullException.ThrowIfNull(map, nameof(maps));
            Heatmap.RequireFinite(map, nameof(maps));
            var (low, high) = PerMap.Resolve(map);
            min = Math.Min(min, low);
            max = Math.Max(max, high);
            count++;
        }

        if (count == 0)
        {
            throw new ArgumentException("A heatmap range spanning maps needs at least one map.", nameof(maps));
        }

        if (max <= min)
        {
            throw new ArgumentException($"Every value of the {count} map(s) is {min}; a spanning range needs two different values (use Fixed).", nameof(maps));
        }

        return new HeatmapRange(min, max, perMap: false);
    }

    /// <summary>The low and high values this range gives for <paramref name="map"/>.</summary>
    /// <param name="map">The anomaly map (read only for <see cref="PerMap"/>).</param>
    /// <returns>The two ends; equal for a constant map under <see cref="PerMap"/>.</returns>
    public (double Low, double High) Resolve(AnomalyMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (!IsPerMap)
        {
            return (Low, High);
        }

        var values = map.Values;
        float min = values[0], max = values[0];
        foreach (var v in values)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        return (min, max);
    }

    /// <inheritdoc/>
    public override string ToString() => IsPerMap ? "per-map min-max" : $"[{Low}, {High}]";
}
