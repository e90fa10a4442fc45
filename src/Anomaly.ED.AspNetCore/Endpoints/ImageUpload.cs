using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Anomaly.ED.AspNetCore.Endpoints;

/// <summary>One encoded image of a request: its bytes and, for a multipart part, the file name the client gave.</summary>
internal sealed record UploadedImage(string? FileName, string ContentType, ReadOnlyMemory<byte> Bytes)
{
    /// <summary>How the image is named in error messages: its file name, else its position.</summary>
    public string Describe(int index) => FileName is { Length: > 0 } ? $"'{FileName}'" : $"image {index + 1}";
}

/// <summary>
/// Reads the images of a prediction request, a single image body or a multipart form of files, held in memory within
/// the size limit (nothing touches the disk); every refusal is an <see cref="UploadException"/> with its status.
/// </summary>
internal static class ImageUpload
{
    /// <summary>The media types the decoder reads.</summary>
    public static readonly IReadOnlyList<string> ImageTypes = ["image/png", "image/jpeg", "image/bmp", "image/x-ms-bmp", "image/webp", "image/gif"];

    public const string Multipart = "multipart/form-data";

    public static async Task<IReadOnlyList<UploadedImage>> ReadAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        var contentType = request.ContentType;
        if (string.IsNullOrWhiteSpace(contentType) || !MediaTypeHeaderValue.TryParse(contentType, out var mediaType))
        {
            throw Unsupported("The request has no Content-Type");
        }

        var type = mediaType.MediaType.Value ?? string.Empty;
        var isMultipart = type.Equals(Multipart, StringComparison.OrdinalIgnoreCase);
        if (!isMultipart)
        {
            RequireImageType(type, "The request body");
        }

        if (request.ContentLength is { } declared && declared > maxBytes)
        {
            throw TooLarge(declared, maxBytes);
        }

        var body = await ReadBodyAsync(request, maxBytes, cancellationToken).ConfigureAwait(false);
        if (body.Length == 0)
        {
            throw new UploadException(StatusCodes.Status400BadRequest, "Empty body", "The request body is empty: send the image's bytes, or a multipart form of image files.");
        }

        return isMultipart
            ? await ReadPartsAsync(body, HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value, cancellationToken).ConfigureAwait(false)
            : [new UploadedImage(null, type, body)];
    }

    private static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        // Kestrel enforces the limit while reading too (a chunked body declares no length).
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxBytes;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                {
                    throw TooLarge(null, maxBytes);
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(null, maxBytes);
        }

        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    private static async Task<IReadOnlyList<UploadedImage>> ReadPartsAsync(ReadOnlyMemory<byte> body, string? boundary, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(boundary))
        {
            throw new UploadException(StatusCodes.Status400BadRequest, "Malformed multipart body", "The multipart Content-Type has no boundary.");
        }

        var images = new List<UploadedImage>();
        var reader = new MultipartReader(boundary, new MemoryStream(body.ToArray(), writable: false));
        try
        {
            while (await reader.ReadNextSectionAsync(cancellationToken).ConfigureAwait(false) is { } section)
            {
                var disposition = section.GetContentDispositionHeader();
                if (disposition is null || !disposition.IsFileDisposition())
                {
                    continue;
                }

                var fileName = HeaderUtilities.RemoveQuotes(disposition.FileName).Value;
                var part = fileName is { Length: > 0 } ? $"The part '{fileName}'" : $"Part {images.Count + 1}";
                var type = MediaTypeHeaderValue.TryParse(section.ContentType, out var parsed) ? parsed.MediaType.Value ?? string.Empty : string.Empty;
                RequireImageType(type, part);
                using var content = new MemoryStream();
                await section.Body.CopyToAsync(content, cancellationToken).ConfigureAwait(false);
                images.Add(new UploadedImage(fileName, type, content.ToArray()));
            }
        }
        catch (IOException ex)
        {
            throw new UploadException(StatusCodes.Status400BadRequest, "Malformed multipart body", "The multipart body could not be read: " + ex.Message);
        }
        catch (InvalidDataException ex)
        {
            throw new UploadException(StatusCodes.Status400BadRequest, "Malformed multipart body", "The multipart body could not be read: " + ex.Message);
        }

        return images.Count > 0
            ? images
            : throw new UploadException(StatusCodes.Status400BadRequest, "No images", "The multipart body holds no file parts: send each image as a file field.");
    }

    private static void RequireImageType(string type, string what)
    {
        if (type.Equals("image/tiff", StringComparison.OrdinalIgnoreCase))
        {
            throw Unsupported($"{what} is image/tiff, which the decoder does not read");
        }

        if (!ImageTypes.Contains(type, StringComparer.OrdinalIgnoreCase))
        {
            throw Unsupported(type.Length == 0 ? $"{what} has no image Content-Type" : $"{what} has Content-Type '{type}'");
        }
    }

    private static UploadException Unsupported(string what) => new(
        StatusCodes.Status415UnsupportedMediaType,
        "Unsupported media type",
        $"{what}; send one of {string.Join(", ", ImageTypes)}, or {Multipart} with image parts.");

    private static UploadException TooLarge(long? declared, long maxBytes) => new(
        StatusCodes.Status413PayloadTooLarge,
        "Request too large",
        declared is { } size
            ? $"The request body declares {size} bytes; the limit is {maxBytes} bytes (MaxRequestMegabytes)."
            : $"The request body is larger than the limit of {maxBytes} bytes (MaxRequestMegabytes).");
}

/// <summary>A request the service refuses, with the status and the problem details' title and detail.</summary>
internal sealed class UploadException(int status, string title, string detail) : Exception(detail)
{
    public int Status { get; } = status;

    public string Title { get; } = title;
}
