using System.Buffers.Binary;
using System.Text;

namespace Anomaly.ED.Tests.Formats;

/// <summary>A scratch folder deleted with the test, and a writer of hand-made (possibly malformed) safetensors files.</summary>
internal sealed class WeightsTestFiles : IDisposable
{
    public WeightsTestFiles()
    {
        Directory = Path.Combine(Path.GetTempPath(), "anomaly-ed-weights-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public string PathOf(string fileName) => Path.Combine(Directory, fileName);

    /// <summary>Writes the 8-byte length (the header's own length unless overridden), the header text and the data.</summary>
    public string WriteRaw(string fileName, string header, byte[]? data = null, ulong? declaredLength = null) =>
        WriteRawBytes(fileName, Encoding.UTF8.GetBytes(header), data, declaredLength);

    public string WriteRawBytes(string fileName, byte[] header, byte[]? data = null, ulong? declaredLength = null)
    {
        var path = PathOf(fileName);
        using var stream = File.Create(path);
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, declaredLength ?? (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        stream.Write(data ?? []);
        return path;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder must not fail a test.
        }
    }
}
