namespace Anomaly.ED.Data;

/// <summary>How ground-truth masks are resized and binarised.</summary>
internal enum MaskResampling
{
    /// <summary>ED: Pillow NEAREST resize and center crop, then every non-zero value is defect (1).</summary>
    Nearest = 0,

    /// <summary>HETMM: Pillow antialiased bilinear resize, then value / 255 &gt;= 0.5 is defect (1).</summary>
    BilinearThreshold = 1,
}
