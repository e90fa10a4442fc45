namespace Anomaly.ED.Formats;

/// <summary>Element types of the safetensors format, named as in its header ("F32", "BF16", "BOOL", ...).</summary>
internal enum SafetensorsDType
{
    /// <summary>Boolean stored as one byte (0 or 1); header name "BOOL".</summary>
    Bool,

    /// <summary>Unsigned 8-bit integer; header name "U8".</summary>
    U8,

    /// <summary>Signed 8-bit integer; header name "I8".</summary>
    I8,

    /// <summary>Signed 16-bit integer; header name "I16".</summary>
    I16,

    /// <summary>Unsigned 16-bit integer; header name "U16".</summary>
    U16,

    /// <summary>Signed 32-bit integer; header name "I32".</summary>
    I32,

    /// <summary>Unsigned 32-bit integer; header name "U32".</summary>
    U32,

    /// <summary>Signed 64-bit integer; header name "I64".</summary>
    I64,

    /// <summary>Unsigned 64-bit integer; header name "U64".</summary>
    U64,

    /// <summary>IEEE 754 half precision; header name "F16".</summary>
    F16,

    /// <summary>Brain floating point (8-bit exponent, 7-bit mantissa); header name "BF16".</summary>
    BF16,

    /// <summary>IEEE 754 single precision; header name "F32".</summary>
    F32,

    /// <summary>IEEE 754 double precision; header name "F64".</summary>
    F64,
}
