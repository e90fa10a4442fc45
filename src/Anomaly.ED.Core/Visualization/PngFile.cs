using Anomaly.ED.Data;
using Anomaly.ED.IO;

namespace Anomaly.ED.Visualization;

/// <summary>Encodes images as PNG, in memory or to files written atomically (creating the folder when missing).</summary>
public static class PngFile
{
    /// <summary>Encodes <paramref name="image"/> as a lossless 8-bit PNG in memory (grey for 1 channel, RGB for 3, RGBA for 4), as a service sends it.</summary>
    /// <param name="image">The image (1, 3 or 4 channels).</param>
    /// <returns>The PNG file content.</returns>
    public static byte[] Encode(ImageBuffer image) => ImageEncoder.EncodePng(image);

    /// <summary>
    /// Encodes <paramref name="image"/> as PNG (<see cref="ImageEncoder.EncodePng"/>) and writes it to
    /// <paramref name="path"/>: the bytes go to a hidden temporary file in the same folder, which then replaces the
    /// destination, so a reader never sees a partial file. Missing folders are created.
    /// </summary>
    /// <param name="image">The image (1, 3 or 4 channels).</param>
    /// <param name="path">The destination file; an existing file is replaced.</param>
    /// <exception cref="ArgumentException">The path is empty, invalid or names a folder.</exception>
    /// <exception cref="IOException">The folder cannot be created or the file cannot be written; the message names the path.</exception>
    public static void Write(ImageBuffer image, string path)
    {
        ArgumentNullException.ThrowIfNull(image);
        AtomicFile.WriteAllBytes(path, ImageEncoder.EncodePng(image), "PNG file", createDirectory: true);
    }
}
