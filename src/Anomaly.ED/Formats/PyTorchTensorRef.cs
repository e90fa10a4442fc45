using static TorchSharp.torch;

namespace Anomaly.ED.Formats;

/// <summary>
/// A tensor of a PyTorch checkpoint, as described by its pickle (<c>torch._utils._rebuild_tensor_v2</c>): a view
/// (offset, shape, stride) of a storage whose bytes are read only when the tensor is.
/// </summary>
internal sealed record PyTorchTensorRef(PyTorchStorageRef Storage, long Offset, long[] Shape, long[] Stride)
{
    /// <summary>The most dimensions a tensor may have (state dicts use at most five).</summary>
    public const int MaxRank = 16;

    /// <summary>The element type.</summary>
    public ScalarType DType => Storage.DType;

    /// <summary>Checks that the view lies inside its storage, so that reading it can never touch other memory.</summary>
    /// <returns>null when valid, else the problem.</returns>
    public string? Problem()
    {
        if (Shape.Length > MaxRank)
        {
            return $"{Shape.Length} dimensions (at most {MaxRank} are supported)";
        }

        if (Shape.Length != Stride.Length)
        {
            return $"shape [{string.Join(", ", Shape)}] and stride [{string.Join(", ", Stride)}] differ in length";
        }

        if (Offset < 0 || Shape.Any(s => s < 0) || Stride.Any(s => s < 0))
        {
            return "a negative offset, size or stride";
        }

        if (Shape.Any(s => s == 0))
        {
            return Offset <= Storage.ElementCount ? null : $"an empty view starts at element {Offset} of a storage of {Storage.ElementCount}";
        }

        var last = Offset;
        for (var i = 0; i < Shape.Length; i++)
        {
            last = checked(last + ((Shape[i] - 1) * Stride[i]));
        }

        return last < Storage.ElementCount
            ? null
            : $"the view (offset {Offset}, shape [{string.Join(", ", Shape)}], stride [{string.Join(", ", Stride)}]) reaches element {last} of a storage of {Storage.ElementCount}";
    }
}

/// <summary>A storage of a PyTorch checkpoint: its key (file name in the archive), element type and element count.</summary>
internal sealed record PyTorchStorageRef(string Key, ScalarType DType, long ElementCount);
