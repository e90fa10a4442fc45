namespace Anomaly.ED.Export.Int8;

/// <summary>ONNX's asymmetric uint8 quantization of a tensor: q = saturate(round(x / Scale) + ZeroPoint).</summary>
internal readonly record struct UInt8Quantization(float Scale, byte ZeroPoint)
{
    /// <summary>The parameters that map <paramref name="range"/>, widened to include zero (so that zero padding and a ReLU's
    /// zeros are exact), onto 0-255.</summary>
    public static UInt8Quantization Covering(ActivationRange range)
    {
        var (min, max) = (Math.Min(range.Min, 0f), Math.Max(range.Max, 0f));
        var scale = (max - min) / byte.MaxValue;
        if (!(scale > 0))
        {
            // An all-zero tensor: any scale represents it.
            return new UInt8Quantization(1f, 0);
        }

        return new UInt8Quantization(scale, (byte)Math.Clamp(Math.Round(-min / scale), 0, byte.MaxValue));
    }
}
