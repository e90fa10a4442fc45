using Anomaly.ED.Data;

namespace Anomaly.ED.Tests.Data;

/// <summary>Small replicas of the benchmark dataset layouts, written into a temporary folder.</summary>
internal static class DatasetLayouts
{
    public const int Size = 32;

    /// <summary>An RGB PNG of <see cref="Size"/> x <see cref="Size"/> filled with one colour derived from <paramref name="seed"/>.</summary>
    public static byte[] ColourPng(int seed) => ImageEncoder.EncodePng(TestImageFiles.Rgb(Size, Size, (_, _, c) => (seed * 40 + c * 70) % 256));

    /// <summary>A grey PNG of <see cref="Size"/> x <see cref="Size"/> filled with one value.</summary>
    public static byte[] GrayPng(int value) => ImageEncoder.EncodePng(TestImageFiles.Gray(Size, Size, (_, _) => value));

    /// <summary>A 0/<paramref name="on"/> mask PNG with a rectangle of rows [top, top + h) and columns [left, left + w).</summary>
    public static byte[] MaskPng(int top, int left, int h, int w, int on = 255, int width = Size, int height = Size) =>
        ImageEncoder.EncodePng(TestImageFiles.Gray(width, height, (y, x) => y >= top && y < top + h && x >= left && x < left + w ? on : 0));

    /// <summary>A 0/255 8-bit palettised BMP mask (grey palette) with one rectangle, as BTAD 03 stores them.</summary>
    public static byte[] MaskBmp8(int top, int left, int h, int w)
    {
        var indices = new byte[Size * Size];
        for (var y = top; y < top + h; y++)
        {
            for (var x = left; x < left + w; x++)
            {
                indices[(y * Size) + x] = 255;
            }
        }

        return TestImageFiles.Bmp8(Size, Size, indices, TestImageFiles.GreyPalette());
    }

    /// <summary>A 24-bit BMP of one colour.</summary>
    public static byte[] ColourBmp(int seed) => TestImageFiles.Bmp24(TestImageFiles.Rgb(Size, Size, (_, _, c) => (seed * 40 + c * 70) % 256));

    /// <summary>MVTec AD: bottle (RGB) and zipper (grey) with train/good, test/good and two defect types with masks.</summary>
    public static void WriteMvtecAd(TempDirectory dir)
    {
        dir.Write("bottle/train/good/001.png", ColourPng(1));
        dir.Write("bottle/train/good/000.png", ColourPng(0));
        dir.Write("bottle/train/good/B.png", ColourPng(2));
        dir.Write("bottle/train/good/a.png", ColourPng(3));
        dir.Write("bottle/train/good/notes.txt", "not an image"u8.ToArray());
        dir.Write("bottle/test/good/000.png", ColourPng(4));
        dir.Write("bottle/test/contamination/000.png", ColourPng(5));
        dir.Write("bottle/test/broken_large/001.png", ColourPng(6));
        dir.Write("bottle/test/broken_large/000.png", ColourPng(7));
        dir.Write("bottle/test/readme.txt", "a file beside the type folders is ignored"u8.ToArray());
        dir.Write("bottle/ground_truth/broken_large/000_mask.png", MaskPng(0, 0, 4, 8));
        dir.Write("bottle/ground_truth/broken_large/001_mask.png", MaskPng(10, 10, 5, 5));
        dir.Write("bottle/ground_truth/contamination/000_mask.png", MaskPng(30, 30, 2, 2));
        dir.Write("zipper/train/good/000.png", GrayPng(90));
        dir.Write("zipper/test/squeezed_teeth/000.png", GrayPng(40));
        dir.Write("zipper/ground_truth/squeezed_teeth/000_mask.png", MaskPng(8, 8, 8, 8));
    }

    /// <summary>BTAD: products 01 (BMP images, PNG masks), 02 (PNG images) and 03 (BMP images, 8-bit BMP masks).</summary>
    public static void WriteBtad(TempDirectory dir)
    {
        dir.Write("01/train/ok/0001.bmp", ColourBmp(1));
        dir.Write("01/train/ok/0000.bmp", ColourBmp(0));
        dir.Write("01/test/ok/0000.bmp", ColourBmp(2));
        dir.Write("01/test/ko/0000.bmp", ColourBmp(3));
        dir.Write("01/ground_truth/ko/0000.png", MaskPng(2, 2, 3, 3));
        dir.Write("02/train/ok/0000.png", ColourPng(4));
        dir.Write("02/test/ko/0005.png", ColourPng(5));
        dir.Write("02/ground_truth/ko/0005.png", MaskPng(0, 0, 32, 1));
        dir.Write("03/train/ok/0000.bmp", ColourBmp(6));
        dir.Write("03/test/ko/0007.bmp", ColourBmp(7));
        dir.Write("03/test/ok/0008.bmp", ColourBmp(8));
        dir.Write("03/ground_truth/ko/0007.bmp", MaskBmp8(5, 6, 7, 8));
    }

    /// <summary>MVTec 3D-AD: bagel with rgb and xyz folders; masks use small non-zero values (any non-zero is defect).</summary>
    public static void WriteMvtec3d(TempDirectory dir)
    {
        dir.Write("bagel/train/good/rgb/000.png", ColourPng(0));
        dir.Write("bagel/train/good/xyz/000.tiff", [1, 2, 3]);
        dir.Write("bagel/test/good/rgb/000.png", ColourPng(1));
        dir.Write("bagel/test/crack/rgb/000.png", ColourPng(2));
        dir.Write("bagel/test/crack/xyz/000.tiff", [1, 2, 3]);
        dir.Write("bagel/test/crack/gt/000.png", MaskPng(4, 4, 4, 4, on: 1));
        dir.CreateFolder("bagel/test/no_rgb_folder/xyz");
    }
}
