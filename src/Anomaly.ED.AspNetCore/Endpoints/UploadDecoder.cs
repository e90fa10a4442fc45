using Anomaly.ED.Data;
using Microsoft.AspNetCore.Http;
using SkiaSharp;

namespace Anomaly.ED.AspNetCore.Endpoints;

/// <summary>Decodes uploaded images with the library's decoder, after refusing a declared size above the service's pixel limit.</summary>
internal static class UploadDecoder
{
    public static ImageBuffer Decode(UploadedImage upload, int index, long maxPixels)
    {
        var name = upload.Describe(index);
        RefuseOversized(upload.Bytes.Span, name, maxPixels);
        try
        {
            return ImageDecoder.DecodeRgb(upload.Bytes.Span, name);
        }
        catch (ImageDecodeException ex)
        {
            throw new UploadException(StatusCodes.Status400BadRequest, "Undecodable image", ex.Message);
        }
    }

    // Reads the header only: a small PNG that declares a huge canvas (a decompression bomb) is refused before its
    // pixels would be allocated. The library's own ceiling (ImageDecoder.MaxPixels) is process-wide; this one is the service's.
    private static void RefuseOversized(ReadOnlySpan<byte> bytes, string name, long maxPixels)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data);
        if (codec is null)
        {
            return;
        }

        var (width, height) = (codec.Info.Width, codec.Info.Height);
        var pixels = (long)width * height;
        if (pixels > maxPixels)
        {
            throw new UploadException(
                StatusCodes.Status413PayloadTooLarge,
                "Image too large",
                $"{name} declares {width}x{height} pixels ({pixels}); the limit is {maxPixels} pixels (MaxImagePixels).");
        }
    }
}
