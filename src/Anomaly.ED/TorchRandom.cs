namespace Anomaly.ED;

/// <summary>Serialises the library's use of TorchSharp's process-wide random generator (seed, then draw), so that concurrent builds stay reproducible.</summary>
/// <remarks>Code outside the library that seeds or draws from the same generator at the same time can still interleave; reproducibility is documented under that condition.</remarks>
internal static class TorchRandom
{
    public static readonly Lock Gate = new();
}
