namespace Anomaly.ED.Data;

/// <summary>
/// Settings of the image and mask preprocessing: resize (to a short side, or to an exact size), optional
/// center crop, ToTensor scaling and per-channel normalisation. Use the presets for the reference pipelines.
/// </summary>
internal sealed class ImageTransformOptions
{
    /// <summary>
    /// When set, the shorter side is resized to this value and the longer one to trunc(value * long / short),
    /// keeping the aspect ratio (torchvision's integer size). Leave null to use <see cref="ResizeHeight"/> and <see cref="ResizeWidth"/>.
    /// </summary>
    /// <value>The default value is null.</value>
    public int? ResizeShortSide { get; set; }

    /// <summary>The exact output height of the resize (aspect ratio not kept); used when <see cref="ResizeShortSide"/> is null.</summary>
    /// <value>The default value is 256.</value>
    public int? ResizeHeight { get; set; } = PreprocessingDefaults.ImageSize;

    /// <summary>The exact output width of the resize (aspect ratio not kept); used when <see cref="ResizeShortSide"/> is null.</summary>
    /// <value>The default value is 256.</value>
    public int? ResizeWidth { get; set; } = PreprocessingDefaults.ImageSize;

    /// <summary>Height of the center crop taken after the resize; null for no crop. It may not exceed the resized height.</summary>
    /// <value>The default value is null.</value>
    public int? CropHeight { get; set; }

    /// <summary>Width of the center crop taken after the resize; null for no crop. It may not exceed the resized width.</summary>
    /// <value>The default value is null.</value>
    public int? CropWidth { get; set; }

    /// <summary>The filter used to resize images.</summary>
    /// <value>The default value is <see cref="ResampleFilter.Lanczos"/> (ED).</value>
    public ResampleFilter ImageFilter { get; set; } = ResampleFilter.Lanczos;

    /// <summary>How masks are resized and binarised.</summary>
    /// <value>The default value is <see cref="MaskResampling.Nearest"/> (ED).</value>
    public MaskResampling MaskResampling { get; set; } = MaskResampling.Nearest;

    /// <summary>Per-channel means (R, G, B) subtracted after scaling to [0, 1].</summary>
    /// <value>The default value is the ImageNet mean [0.485, 0.456, 0.406].</value>
    public IReadOnlyList<float> Mean { get; set; } = PreprocessingDefaults.ImageNetMean;

    /// <summary>Per-channel standard deviations (R, G, B) dividing after the mean is subtracted.</summary>
    /// <value>The default value is the ImageNet std [0.229, 0.224, 0.225].</value>
    public IReadOnlyList<float> Std { get; set; } = PreprocessingDefaults.ImageNetStd;

    /// <summary>
    /// ED's MVTec AD pipeline: resize both sides to <paramref name="size"/> with Lanczos (aspect ratio not kept),
    /// ImageNet normalisation, NEAREST masks.
    /// </summary>
    /// <param name="size">Output height and width.</param>
    /// <returns>New options.</returns>
    public static ImageTransformOptions EdSquare(int size = PreprocessingDefaults.ImageSize) => new()
    {
        ResizeHeight = size,
        ResizeWidth = size,
        CropHeight = size,
        CropWidth = size,
    };

    /// <summary>
    /// ED's BTAD and MVTec 3D-AD pipeline: shorter side to <paramref name="resize"/> with Lanczos, center crop
    /// <paramref name="crop"/> x <paramref name="crop"/>, ImageNet normalisation, NEAREST masks.
    /// </summary>
    /// <param name="resize">The short side after the resize.</param>
    /// <param name="crop">The side of the square center crop.</param>
    /// <returns>New options.</returns>
    public static ImageTransformOptions EdShortSide(int resize = PreprocessingDefaults.ImageSize, int crop = PreprocessingDefaults.ImageSize) => new()
    {
        ResizeShortSide = resize,
        ResizeHeight = null,
        ResizeWidth = null,
        CropHeight = crop,
        CropWidth = crop,
    };

    /// <summary>
    /// HETMM's pipeline: bilinear resize to <paramref name="size"/> x <paramref name="size"/>, no crop, ImageNet mean
    /// with HETMM's std (0.256 for green), masks bilinear then thresholded at 0.5.
    /// </summary>
    /// <param name="size">Output height and width.</param>
    /// <returns>New options.</returns>
    public static ImageTransformOptions Hetmm(int size = PreprocessingDefaults.ImageSize) => new()
    {
        ResizeHeight = size,
        ResizeWidth = size,
        ImageFilter = ResampleFilter.Bilinear,
        MaskResampling = MaskResampling.BilinearThreshold,
        Std = PreprocessingDefaults.HetmmStd,
    };

    /// <summary>Returns a copy of these options (the lists are copied too).</summary>
    /// <returns>A new, independent instance.</returns>
    public ImageTransformOptions Clone() => new()
    {
        ResizeShortSide = ResizeShortSide,
        ResizeHeight = ResizeHeight,
        ResizeWidth = ResizeWidth,
        CropHeight = CropHeight,
        CropWidth = CropWidth,
        ImageFilter = ImageFilter,
        MaskResampling = MaskResampling,
        Mean = Mean.ToArray(),
        Std = Std.ToArray(),
    };
}
