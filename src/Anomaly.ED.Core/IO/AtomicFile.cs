using System.Text;

namespace Anomaly.ED.IO;

/// <summary>Writes files through a temporary file in the same folder and a final move, so readers never see a partial file and a failed write leaves the old one.</summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="content"/> as UTF-8 without a byte-order mark, replacing any existing file; <paramref name="what"/> names the content in error messages.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="content">The complete text.</param>
    /// <param name="what">What the file holds, e.g. "report".</param>
    /// <exception cref="IOException">The file cannot be written; the message names <paramref name="path"/>.</exception>
    public static void WriteAllText(string path, string content, string what) =>
        WriteAllBytes(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(content), what);

    /// <summary>Writes <paramref name="bytes"/>, replacing any existing file; <paramref name="what"/> names the content in error messages.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="bytes">The complete content.</param>
    /// <param name="what">What the file holds, e.g. "PNG file".</param>
    /// <param name="createDirectory">Whether a missing folder is created; otherwise it is an error.</param>
    /// <exception cref="ArgumentException">The path is invalid or names a folder.</exception>
    /// <exception cref="IOException">The file cannot be written; the message names <paramref name="path"/>.</exception>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes, string what, bool createDirectory = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string fullPath;
        try
        {
            fullPath = Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ArgumentException($"Cannot write the {what} '{path}': the path is not valid ({ex.Message})", nameof(path), ex);
        }

        var directory = Path.GetDirectoryName(fullPath);
        if (directory is null || Path.GetFileName(fullPath).Length == 0 || Directory.Exists(fullPath))
        {
            throw new ArgumentException($"Cannot write the {what} '{fullPath}': the path names a folder, not a file.", nameof(path));
        }

        if (createDirectory)
        {
            try
            {
                Directory.CreateDirectory(directory);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new IOException($"Cannot write the {what} '{fullPath}': the folder '{directory}' cannot be created ({ex.Message})", ex);
            }
        }
        else if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"Cannot write the {what} '{fullPath}': the folder '{directory}' does not exist.");
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
            throw new IOException($"Cannot write the {what} '{fullPath}': {ex.Message}", ex);
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
