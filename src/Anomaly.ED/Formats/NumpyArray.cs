using static TorchSharp.torch;

namespace Anomaly.ED.Formats;

/// <summary>
/// A numpy array read from a pickle (<c>numpy.core.multiarray._reconstruct</c>, then BUILD with
/// <c>(version, shape, dtype, is_fortran, raw bytes)</c>): only the data are kept, nothing numpy-specific runs.
/// </summary>
internal sealed class NumpyArray
{
    /// <summary>The array's shape; empty until BUILD.</summary>
    public long[] Shape { get; private set; } = [];

    /// <summary>The element type.</summary>
    public NumpyDType? DType { get; private set; }

    /// <summary>Whether the bytes are in column-major order.</summary>
    public bool FortranOrder { get; private set; }

    /// <summary>The raw little-endian bytes.</summary>
    public byte[] Data { get; private set; } = [];

    /// <summary>Called by the unpickler's BUILD with ndarray's state.</summary>
    public void __setstate__(object[] state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Length != 5 || state[1] is not object[] shape || state[2] is not NumpyDType dtype || state[3] is not bool fortran)
        {
            throw new Razorvine.Pickle.PickleException("a numpy array's state is not (version, shape, dtype, is_fortran, data)");
        }

        Shape = [.. shape.Select(d => Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture))];
        DType = dtype;
        FortranOrder = fortran;
        Data = state[4] switch
        {
            byte[] bytes => bytes,
            string latin1 => System.Text.Encoding.Latin1.GetBytes(latin1),
            _ => throw new Razorvine.Pickle.PickleException($"a numpy array of dtype '{dtype.Name}' holds Python objects, not numbers"),
        };
    }

    /// <summary>Copies the array into a new CPU tensor (float32, float64, int64, int32 or uint8).</summary>
    /// <exception cref="FormatException">The dtype is not supported, big-endian, or the byte count does not fit the shape.</exception>
    public Tensor ToTensor()
    {
        var dtype = DType ?? throw new FormatException("the numpy array was never filled (no BUILD).");
        var (scalarType, size) = dtype.Name switch
        {
            "f4" => (ScalarType.Float32, 4),
            "f8" => (ScalarType.Float64, 8),
            "i8" => (ScalarType.Int64, 8),
            "i4" => (ScalarType.Int32, 4),
            "u1" => (ScalarType.Byte, 1),
            _ => throw new FormatException($"numpy dtype '{dtype.Name}' is not supported (float32, float64, int64, int32, uint8 are)."),
        };
        if (dtype.ByteOrder == '>' && size > 1)
        {
            throw new FormatException($"the numpy array is big-endian ('>{dtype.Name}').");
        }

        if (Shape.Any(d => d < 0))
        {
            throw new FormatException($"the numpy array has a negative dimension in its shape [{string.Join(", ", Shape)}].");
        }

        long count, byteCount;
        try
        {
            count = Shape.Aggregate(1L, (a, b) => checked(a * b));
            byteCount = checked(count * size);
        }
        catch (OverflowException e)
        {
            throw new FormatException($"the numpy array's shape [{string.Join(", ", Shape)}] overflows 64 bits.", e);
        }

        if (byteCount != Data.Length)
        {
            throw new FormatException($"the numpy array of shape [{string.Join(", ", Shape)}] holds {Data.Length} bytes, not {byteCount}.");
        }

        using var scope = NewDisposeScope();
        var flat = empty([count], scalarType);
        Data.CopyTo(flat.bytes);
        var result = FortranOrder
            ? flat.reshape([.. Shape.Reverse()]).permute([.. Enumerable.Range(0, Shape.Length).Reverse().Select(i => (long)i)]).contiguous()
            : flat.reshape(Shape);
        return result.MoveToOuterDisposeScope();
    }
}

/// <summary>A numpy dtype from a pickle (<c>numpy.dtype('f4', False, True)</c>, then BUILD with its byte order).</summary>
internal sealed class NumpyDType(string name)
{
    /// <summary>The type code, e.g. <c>f4</c>.</summary>
    public string Name { get; } = name;

    /// <summary>'&lt;' little-endian, '&gt;' big-endian, '|' not applicable, '=' native.</summary>
    public char ByteOrder { get; private set; } = '=';

    /// <summary>Called by the unpickler's BUILD: <c>(version, byte order, ...)</c>.</summary>
    public void __setstate__(object[] state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ByteOrder = state.Length > 1 && state[1] is string { Length: 1 } order ? order[0] : '=';
    }
}
