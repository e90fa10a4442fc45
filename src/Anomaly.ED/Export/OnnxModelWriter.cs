using System.Globalization;
using Anomaly.ED.Formats.Onnx;
using Google.Protobuf;

namespace Anomaly.ED.Export;

/// <summary>
/// Writes an ONNX model atomically (a temporary file in the same folder, then a move). When the model would pass
/// protobuf's 2 GiB message limit, the large initializers go to ONNX external data: a file beside the model
/// (<c>&lt;name&gt;.data</c>), referenced by relative location, offset and length.
/// </summary>
internal static class OnnxModelWriter
{
    /// <summary>The largest model kept in one file: protobuf's 2 GiB limit less room for the graph and metadata.</summary>
    public const long DefaultSingleFileLimit = int.MaxValue - (64L << 20);

    // Initializers below this stay in the model: shapes, axes and scalars.
    private const int ExternalMinimumBytes = 1024;

    // ONNX Runtime memory-maps external data; page-aligned offsets let it do so on every platform.
    private const int ExternalAlignment = 4096;

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/>.</summary>
    /// <param name="model">The model; when externalised, its large initializers are changed to refer to the data file.</param>
    /// <param name="path">The <c>.onnx</c> file; its folder must exist.</param>
    /// <param name="singleFileLimit">The initializer bytes above which external data is used.</param>
    /// <returns>The external data file, or null when everything is in one file.</returns>
    public static string? Write(ModelProto model, string path, long singleFileLimit = DefaultSingleFileLimit)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath)!;
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"Cannot write the ONNX model '{fullPath}': the folder '{directory}' does not exist.");
        }

        var initializerBytes = model.Graph.Initializer.Sum(i => (long)i.RawData.Length);
        string? dataPath = null;
        if (initializerBytes > singleFileLimit)
        {
            dataPath = fullPath + ".data";
            WriteAtomically(dataPath, stream => Externalise(model, Path.GetFileName(dataPath), stream));
        }

        WriteAtomically(fullPath, model.WriteTo);
        return dataPath;
    }

    // Moves every large initializer's bytes to the stream, replacing them by a reference.
    private static void Externalise(ModelProto model, string location, Stream data)
    {
        long offset = 0;
        foreach (var initializer in model.Graph.Initializer)
        {
            var length = initializer.RawData.Length;
            if (length < ExternalMinimumBytes)
            {
                continue;
            }

            var padding = (int)((ExternalAlignment - offset % ExternalAlignment) % ExternalAlignment);
            data.Write(new byte[padding]);
            offset += padding;
            data.Write(initializer.RawData.Span);
            initializer.RawData = ByteString.Empty;
            initializer.DataLocation = TensorProto.Types.DataLocation.External;
            initializer.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
            initializer.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(CultureInfo.InvariantCulture) });
            initializer.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.ToString(CultureInfo.InvariantCulture) });
            offset += length;
        }
    }

    private static void WriteAtomically(string fullPath, Action<Stream> write)
    {
        var tempPath = Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(tempPath, fullPath, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(tempPath);
            throw new IOException($"Cannot write the ONNX model '{fullPath}': {ex.Message}", ex);
        }
        catch
        {
            TryDelete(tempPath);
            throw;
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
