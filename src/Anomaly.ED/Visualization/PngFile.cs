using Anomaly.ED.Data;

namespace Anomaly.ED.Visualization;

/// <summary>Writes images as PNG files atomically, creating the folder when missing.</summary>
public static class PngFile
{
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
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string fullPath;
        try
        {
            fullPath = Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ArgumentException($"Cannot write the PNG file '{path}': the path is not valid ({ex.Message})", nameof(path), ex);
        }

        var directory = Path.GetDirectoryName(fullPath);
        if (directory is null || Path.GetFileName(fullPath).Length == 0 || Directory.Exists(fullPath))
        {
            throw new ArgumentException($"Cannot write the PNG file '{fullPath}': the path names a folder, not a file.", nameof(path));
        }

        var bytes = ImageEncoder.EncodePng(image);
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Cannot write the PNG file '{fullPath}': the folder '{directory}' cannot be created ({ex.Message})", ex);
        }

        var tempPath = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(tempPath, fullPath, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(tempPath);
            throw new IOException($"Cannot write the PNG file '{fullPath}': {ex.Message}", ex);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The original error matters more than a leftover temporary file.
        }
    }
}
