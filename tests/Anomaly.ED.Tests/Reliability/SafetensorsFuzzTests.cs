using System.Buffers.Binary;
using System.Text;
using Anomaly.ED.Formats;
using Anomaly.ED.Tests.Data;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Reliability;

/// <summary>The safetensors reader under hostile bytes: every case is read or refused with <see cref="SafetensorsFormatException"/> naming the file.</summary>
public sealed class SafetensorsFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void MutatedFilesAreReadOrRefusedWithTheDocumentedException()
    {
        using var folder = new TempDirectory();
        var seed = SeedFile(folder);
        var headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(seed);
        var fuzzer = new MutationFuzzer(20261129);
        var path = System.IO.Path.Combine(folder.Path, "case.safetensors");
        var boundaries = new[] { 0, 8, headerEnd }.Concat(DataBoundaries(folder, seed, headerEnd));

        var inputs = Regressions("safetensors")
            .Concat(MutationFuzzer.Truncations(seed, boundaries))
            .Concat(HostileHeaders())
            .Concat(Enumerable.Range(0, int.MaxValue).Select(_ => fuzzer.Mutate(seed, headerEnd)));
        var report = MutationFuzzer.Run("safetensors", inputs, bytes => Read(path, bytes), [typeof(SafetensorsFormatException)], MutationFuzzer.Budget(15), maxCases: MutationFuzzer.MaxCases(20_000));

        output.WriteLine(report.ToString());
        report.Findings.Should().BeEmpty(report.ToString());
        report.Cases.Should().BeGreaterThan(300, "the fuzz run must do real work");
        report.Rejected.Should().BeGreaterThan(0);
    }

    internal static IEnumerable<byte[]> Regressions(string target)
    {
        var folder = System.IO.Path.Combine(AppContext.BaseDirectory, "Reliability", "FuzzRegressions");
        return Directory.Exists(folder)
            ? Directory.GetFiles(folder, target + "-*.bin").Order(StringComparer.Ordinal).Select(File.ReadAllBytes)
            : [];
    }

    private static void Read(string path, byte[] bytes)
    {
        File.WriteAllBytes(path, bytes);
        using var scope = NewDisposeScope();
        using var file = SafetensorsFile.Open(path);
        try
        {
            file.ReadAll();
        }
        catch (SafetensorsFormatException e)
        {
            e.FilePath.Should().Be(path, "the exception names the file");
            throw;
        }
    }

    private static byte[] SeedFile(TempDirectory folder)
    {
        var path = System.IO.Path.Combine(folder.Path, "seed.safetensors");
        using (var scope = NewDisposeScope())
        {
            SafetensorsWriter.Save(
                path,
                [
                    new("a.weight", arange(12, ScalarType.Float32).reshape(3, 4)),
                    new("b.count", tensor(new long[] { 7 })),
                    new("c.half", ones(5, ScalarType.Float16)),
                    new("d.empty", zeros(0, 3)),
                    new("e.bytes", tensor(new byte[] { 1, 2, 3 })),
                ],
                new Dictionary<string, string> { ["format"] = "fuzz", ["note"] = "seed" });
        }

        return File.ReadAllBytes(path);
    }

    private static IEnumerable<int> DataBoundaries(TempDirectory folder, byte[] seed, int headerEnd)
    {
        var path = folder.Write("boundaries.safetensors", seed);
        using var file = SafetensorsFile.Open(path);
        return file.Tensors.SelectMany(t => new[] { headerEnd + (int)t.DataBegin, headerEnd + (int)t.DataEnd }).ToArray();
    }

    // Hand-written hostile headers: lengths past the file, overflowing shapes, negative and overlapping offsets, deep
    // and huge JSON, duplicate keys, non-UTF-8 and path-like names, dtype/shape mismatches.
    private static IEnumerable<byte[]> HostileHeaders()
    {
        string[] headers =
        [
            """{"x":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,16]}}""",
            """{"x":{"dtype":"F32","shape":[9223372036854775807],"data_offsets":[0,16]}}""",
            """{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,16]}}""",
            """{"x":{"dtype":"F32","shape":[4],"data_offsets":[-16,0]}}""",
            """{"x":{"dtype":"F32","shape":[4],"data_offsets":[16,0]}}""",
            """{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"y":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""",
            """{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,18446744073709551615]}}""",
            """{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}""",
            """{"x":{"dtype":"Q4","shape":[4],"data_offsets":[0,16]}}""",
            """{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""",
            """{"../../etc/passwd":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""",
            """{"__metadata__":{"a":"b","a":"c"},"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""",
            """{"__metadata__":{"a":1},"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""",
            """{"x":{"dtype":"F32","shape":[4]}}""",
            """[1,2,3]""",
            new string('[', 10_000) + new string(']', 10_000),
            "{" + string.Join(",", Enumerable.Range(0, 50_000).Select(i => $"\"t{i}\":{{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}}")) + "}",
        ];
        foreach (var header in headers)
        {
            yield return Framed(Encoding.UTF8.GetBytes(header), 16);
        }

        yield return Framed([(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}'], 16);
        var declaredTooLong = Framed(Encoding.UTF8.GetBytes("""{"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"""), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(declaredTooLong, 1UL << 40);
        yield return declaredTooLong;
        yield return [1, 0, 0, 0, 0, 0, 0];
    }

    private static byte[] Framed(byte[] header, int dataBytes)
    {
        var bytes = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        return bytes;
    }
}
