namespace Anomaly.ED;

/// <summary>The defaults every method shares; each method's own defaults live in its folder (<c>Methods/Ed/EdDefaults</c>, <c>Methods/Hetmm/HetmmDefaults</c>).</summary>
internal static class DetectorDefaults
{
    /// <summary>Input height and width in pixels.</summary>
    public const int ImageSize = 256;

    /// <summary>The largest input height or width accepted, in pixels; larger inputs would need gigabytes per image.</summary>
    public const int MaxImageSize = 4096;

    /// <summary>Random seed (the ED reference's init_seeds(3407)).</summary>
    public const int Seed = 3407;
}
