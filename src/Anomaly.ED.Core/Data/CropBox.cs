namespace Anomaly.ED.Data;

/// <summary>A rectangle inside a resized image: top row, left column, height and width (torchvision's center-crop box).</summary>
/// <param name="Top">First row.</param>
/// <param name="Left">First column.</param>
/// <param name="Height">Number of rows.</param>
/// <param name="Width">Number of columns.</param>
internal readonly record struct CropBox(int Top, int Left, int Height, int Width);
