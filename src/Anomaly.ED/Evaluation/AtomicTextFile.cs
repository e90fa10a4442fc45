using System.Text;

namespace Anomaly.ED.Evaluation;

/// <summary>Writes a text file through a temporary file in the same folder and a final move, so readers never see a partial file.</summary>
internal static class AtomicTextFile
{
    /// <summary>Writes <paramref name="content"/> as UTF-8 without a byte-order mark, replacing any existing file.</summary>
    /// <exception cref="IOException">The file cannot be written; the message names <paramref name="path"/>.</exception>
    public static void Write(string path, string content, string what)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string fullPath;
        try
        {
            fullPath = Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ArgumentException($"Cannot write the {what} to '{path}': the path is not valid ({ex.Message})", nameof(path), ex);
        }

        var directory = Path.GetDirectoryName(fullPath);
        if (directory is null || Path.GetFileName(fullPath).Length == 0)
        {
            throw new ArgumentException($"Cannot write the {what} to '{fullPath}': the path names a folder, not a file.", nameof(path));
        }

        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"Cannot write the {what} to '{fullPath}': the folder '{directory}' does not exist.");
        }

        var tempPath = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                var bytes = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(content);
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(tempPath, fullPath, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(tempPath);
            throw new IOException($"Cannot write the {what} to '{fullPath}': {ex.Message}", ex);
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
