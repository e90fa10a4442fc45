namespace Anomaly.ED.Formats;

/// <summary>One tensor's entry in a safetensors header: name, element type, shape and byte range.</summary>
/// <param name="Name">The tensor name (the header key).</param>
/// <param name="DType">The element type.</param>
/// <param name="Shape">The dimensions, row-major; empty for a 0-d scalar.</param>
/// <param name="DataBegin">First byte of the data, counted from the first byte after the header.</param>
/// <param name="DataEnd">One past the last byte of the data, counted from the first byte after the header.</param>
internal sealed record SafetensorsTensorInfo(string Name, SafetensorsDType DType, IReadOnlyList<long> Shape, long DataBegin, long DataEnd)
{
    /// <summary>The number of elements: the product of <see cref="Shape"/> (1 for a 0-d scalar).</summary>
    public long ElementCount { get; } = CountElements(Shape);

    /// <summary>The number of data bytes, <see cref="DataEnd"/> minus <see cref="DataBegin"/>.</summary>
    public long ByteLength => DataEnd - DataBegin;

    private static long CountElements(IReadOnlyList<long> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var count = 1L;
        foreach (var dim in shape)
        {
            count = checked(count * dim);
        }

        return count;
    }
}
