namespace Anomaly.ED.Data;

/// <summary>Default values of the preprocessing, as in the reference implementations.</summary>
internal static class PreprocessingDefaults
{
    /// <summary>The input size used by ED, FOD and HETMM: 256 pixels.</summary>
    public const int ImageSize = 256;

    /// <summary>The ImageNet channel means (R, G, B) used by ED and HETMM.</summary>
    public static IReadOnlyList<float> ImageNetMean { get; } = [0.485f, 0.456f, 0.406f];

    /// <summary>The ImageNet channel standard deviations (R, G, B) used by ED.</summary>
    public static IReadOnlyList<float> ImageNetStd { get; } = [0.229f, 0.224f, 0.225f];

    /// <summary>HETMM's standard deviations: its configuration has 0.256 for the green channel, kept for parity.</summary>
    public static IReadOnlyList<float> HetmmStd { get; } = [0.229f, 0.256f, 0.225f];
}
