using Anomaly.ED.IO;

namespace Anomaly.ED.Cli.Output;

/// <summary>
/// Writes the tool's own files (plots, prediction tables, summaries) through the library's atomic writer, so Ctrl+C or
/// a crash never leaves a half-written file; missing folders are created.
/// </summary>
internal static class OutputFiles
{
    public static void WriteText(string path, string text) => WriteBytes(path, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text));

    public static void WriteBytes(string path, byte[] bytes) => AtomicFile.WriteAllBytes(path, bytes, "output file", createDirectory: true);
}
