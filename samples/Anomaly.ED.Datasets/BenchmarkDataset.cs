namespace Anomaly.ED.Samples.Datasets;

/// <summary>The benchmark dataset layouts the program reads.</summary>
public enum BenchmarkDataset
{
    /// <summary>MVTec AD: square 256x256 preprocessing.</summary>
    MvtecAd = 0,

    /// <summary>BTAD: short side 256 and centre crop.</summary>
    Btad = 1,

    /// <summary>MVTec 3D-AD, RGB images only: short side 256 and centre crop.</summary>
    Mvtec3dRgb = 2,
}
