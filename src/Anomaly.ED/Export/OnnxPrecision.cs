namespace Anomaly.ED.Export;

/// <summary>The arithmetic of an exported ONNX graph.</summary>
internal enum OnnxPrecision
{
    /// <summary>float32 throughout: the detector's own numbers, within the ONNX parity tolerances (docs/precision.md).</summary>
    Float32,

    /// <summary>
    /// int8 products (HETMM): the backbone's convolutions and the template matching in integers on ranges calibrated from
    /// normal images, everything else in float32. About half the float32 graph's time on a CPU with AVX512-VNNI, at the
    /// accuracy cost measured in docs/precision.md.
    /// </summary>
    Int8,
}
