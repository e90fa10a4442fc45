namespace Anomaly.ED.Cli.Output;

/// <summary>
/// Writes the tool's own files (plots, prediction tables, summaries) atomically, as the library writes reports and models:
/// a temporary file beside the target, then a rename, so Ctrl+C or a crash never leaves a half-written file.
/// </summary>
internal static class OutputFiles
{
    public static void WriteText(string path, string text) => WriteBytes(path, System.Text.Encoding.UTF8.GetBytes(text));

    public static void WriteBytes(string path, byte[] bytes)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllBytes(temporary, bytes);
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
