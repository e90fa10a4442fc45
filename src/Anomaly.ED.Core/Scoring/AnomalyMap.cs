namespace Anomaly.ED.Scoring;

/// <summary>A per-pixel anomaly map: higher values are more anomalous.</summary>
public sealed class AnomalyMap
{
    /// <summary>Wraps row-major values of a <paramref name="height"/> x <paramref name="width"/> map (not copied).</summary>
    /// <exception cref="ArgumentException">The number of values is not height x width.</exception>
    public AnomalyMap(int height, int width, float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if (values.Length != height * width)
        {
            throw new ArgumentException($"A {height}x{width} anomaly map needs {height * width} values, got {values.Length}.", nameof(values));
        }

        Height = height;
        Width = width;
        Values = values;
    }

    /// <summary>Map height in pixels.</summary>
    public int Height { get; }

    /// <summary>Map width in pixels.</summary>
    public int Width { get; }

    /// <summary>The values, row after row.</summary>
    public float[] Values { get; }

    /// <summary>The value at row <paramref name="y"/>, column <paramref name="x"/>.</summary>
    public float this[int y, int x] => Values[(y * Width) + x];

    /// <summary>The largest value.</summary>
    public float Max() => Values.Max();
}
