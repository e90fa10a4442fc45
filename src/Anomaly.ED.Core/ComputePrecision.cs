namespace Anomaly.ED;

/// <summary>The number format prediction computes in, as <see cref="RuntimeOptions.Precision"/> names it; never saved in a model file.</summary>
internal enum ComputePrecision
{
    /// <summary>Everything in float32: the parity mode, identical to the reference within its tolerances.</summary>
    Float32,

    /// <summary>The backbone, the ED/FOD level networks and HETMM's matching products in bfloat16 (CPUs with AVX512-BF16 or AMX, and CUDA); scores, the attention's KL terms and the maps stay float32.</summary>
    BFloat16,

    /// <summary>As <see cref="BFloat16"/> in float16, on CUDA devices only.</summary>
    Float16,
}
