namespace Anomaly.ED.Data;

/// <summary>Resampling filters, each reproducing Pillow 9's algorithm for 8-bit images bit for bit.</summary>
internal enum ResampleFilter
{
    /// <summary>Pillow NEAREST: per axis, source index trunc(pos) with pos starting at scale/2 and accumulated by scale. Used for masks.</summary>
    Nearest = 0,

    /// <summary>Pillow's antialiased BILINEAR (triangle filter widened by the downscale factor); torchvision's default, used by HETMM.</summary>
    Bilinear = 1,

    /// <summary>Pillow LANCZOS (a = 3, widened by the downscale factor), also called ANTIALIAS; used by ED.</summary>
    Lanczos = 2,
}
