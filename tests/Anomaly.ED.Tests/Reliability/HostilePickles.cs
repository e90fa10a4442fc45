using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using System.Text;
using Anomaly.ED.Formats;

namespace Anomaly.ED.Tests.Reliability;

/// <summary>
/// Hand-written pickles (opcodes as Python's pickletools lists them) and the two torch.save layouts around them, for
/// inputs a mutation would rarely reach: deep and cyclic nesting, lengths past the end, storages and views that do not
/// fit, calls of other Python objects.
/// </summary>
internal static class HostilePickles
{
    /// <summary>A pickle of the given opcodes and arguments, framed by PROTO 2 and STOP.</summary>
    public static byte[] Pickle(byte[] body) => [0x80, 2, .. body, (byte)'.'];

    /// <summary>SHORT_BINUNICODE / BINUNICODE of a string.</summary>
    public static byte[] Str(string value)
    {
        var utf8 = Encoding.UTF8.GetBytes(value);
        return utf8.Length < 256 ? [0x8c, (byte)utf8.Length, .. utf8] : [(byte)'X', .. Le32((uint)utf8.Length), .. utf8];
    }

    /// <summary>An integer: BININT for 32-bit values, else LONG1.</summary>
    public static byte[] Int(long value) =>
        value is >= int.MinValue and <= int.MaxValue ? [(byte)'J', .. Le32((uint)(int)value)] : [0x8a, 8, .. BitConverter.GetBytes(value)];

    public static byte[] Le32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }

    public static byte[] Le64(ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return bytes;
    }

    /// <summary>A tuple of integers.</summary>
    public static byte[] Ints(params long[] values) => [(byte)'(', .. values.SelectMany(Int), (byte)'t'];

    /// <summary>
    /// <c>torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())</c> over the storage
    /// <paramref name="key"/> of <paramref name="elements"/> float32 values, as torch.save writes it.
    /// </summary>
    public static byte[] Tensor(string key, long elements, long offset, long[] size, long[] stride, string storageClass = "FloatStorage") =>
    [
        .. "ctorch._utils\n_rebuild_tensor_v2\n"u8, (byte)'(',
        (byte)'(', .. Str("storage"), .. Encoding.UTF8.GetBytes($"ctorch\n{storageClass}\n"), .. Str(key), .. Str("cpu"), .. Int(elements), (byte)'t', (byte)'Q',
        .. Int(offset), .. Ints(size), .. Ints(stride), 0x89, .. "ccollections\nOrderedDict\n"u8, (byte)')', (byte)'R', (byte)'t', (byte)'R',
    ];

    /// <summary>A dict of one string key and the value's opcodes.</summary>
    public static byte[] Dict(string key, byte[] value) => [(byte)'}', .. Str(key), .. value, (byte)'s'];

    /// <summary>The legacy torch.save stream: magic number, protocol 1001, system information, the root, the storage keys, then each storage.</summary>
    public static byte[] Legacy(byte[] root, params (string Key, long Count, byte[] Data)[] storages)
    {
        var magic = BigInteger.Parse("119547037146038801333356", System.Globalization.CultureInfo.InvariantCulture).ToByteArray();
        using var bytes = new MemoryStream();
        bytes.Write(Pickle([0x8a, (byte)magic.Length, .. magic]));
        bytes.Write(Pickle([(byte)'M', 0xe9, 0x03]));
        bytes.Write(Pickle([(byte)'}', .. Str("little_endian"), 0x88, (byte)'s']));
        bytes.Write(root);
        bytes.Write(Pickle([(byte)'(', .. storages.SelectMany(s => Str(s.Key)), (byte)'l']));
        foreach (var (_, count, data) in storages)
        {
            bytes.Write(Le64((ulong)count));
            bytes.Write(data);
        }

        return bytes.ToArray();
    }

    /// <summary>The zip torch.save layout: <c>archive/data.pkl</c>, then <c>archive/data/&lt;key&gt;</c> per storage, stored uncompressed.</summary>
    public static byte[] Zip(byte[] root, params (string Key, byte[] Data)[] storages)
    {
        using var bytes = new MemoryStream();
        using (var archive = new ZipArchive(bytes, ZipArchiveMode.Create, leaveOpen: true))
        {
            Add(archive, "archive/data.pkl", root);
            foreach (var (key, data) in storages)
            {
                Add(archive, "archive/data/" + key, data);
            }

            Add(archive, "archive/version", "3\n"u8.ToArray());
        }

        return bytes.ToArray();
    }

    /// <summary>The entries of a zip archive, by name, in order.</summary>
    public static List<(string Name, byte[] Data)> Entries(byte[] zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        return [.. archive.Entries.Select(e =>
        {
            using var data = e.Open();
            using var copy = new MemoryStream();
            data.CopyTo(copy);
            return (e.FullName, copy.ToArray());
        })];
    }

    /// <summary>A zip archive of the given entries, stored uncompressed.</summary>
    public static byte[] Zip(IEnumerable<(string Name, byte[] Data)> entries)
    {
        using var bytes = new MemoryStream();
        using (var archive = new ZipArchive(bytes, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, data) in entries)
            {
                Add(archive, name, data);
            }
        }

        return bytes.ToArray();
    }

    /// <summary>Root pickles that a state-dict reader must refuse (or read) without a crash, hang or huge allocation.</summary>
    public static IEnumerable<byte[]> HostileRoots()
    {
        const int Deep = 200_000;
        yield return Pickle([.. Enumerable.Repeat((byte)']', Deep), .. Enumerable.Repeat((byte)'a', Deep - 1)]);        // lists nested 200,000 deep
        yield return Pickle([.. Enumerable.Repeat<byte[]>([(byte)'(', 0x8c, 1, (byte)'k'], Deep).SelectMany(b => b), (byte)'}', .. Enumerable.Repeat((byte)'d', Deep)]); // dicts nested 200,000 deep
        yield return Pickle([(byte)']', (byte)'q', 0, (byte)'h', 0, (byte)'a']);                                                 // a list holding itself
        yield return Pickle([(byte)'}', (byte)'q', 0, .. Str("self"), (byte)'h', 0, (byte)'s']);                        // a dict holding itself
        yield return Pickle(Doubling(60));                                                                           // 2^60 paths through shared lists
        yield return Pickle([(byte)'B', .. Le32(0x7FFF_FFF0), 1, 2, 3]);                                             // BINBYTES of 2 GiB, 3 bytes present
        yield return Pickle([(byte)'X', .. Le32(0xFFFF_FFF0), 1, 2, 3]);                                             // BINUNICODE of 4 GiB
        yield return Pickle([0x8e, .. Le64(1UL << 62), 1, 2, 3]);                                                   // BINBYTES8 of 2^62
        yield return Pickle([0x8d, .. Le64(ulong.MaxValue), 1]);                                                   // BINUNICODE8 of 2^64 - 1
        yield return Pickle([0x96, .. Le64(0x7FFF_FFFF), 1]);                                                      // BYTEARRAY8 of 2 GiB
        yield return Pickle([0x8b, .. Le32(0x7FFF_FFFF), 1, 2]);                                                   // LONG4 of 2 GiB
        yield return Pickle([(byte)'L', .. Enumerable.Repeat((byte)'9', 1 << 20), (byte)'\n']);                      // a decimal of a million digits
        yield return Pickle([(byte)'L', .. Enumerable.Repeat((byte)'9', 60_000), (byte)'L', (byte)'\n']);            // a decimal of 60,000 digits
        yield return Pickle([(byte)'I', .. Enumerable.Repeat((byte)'7', 1000), (byte)'\n']);                          // an INT that overflows
        yield return Pickle([.. "cos\nsystem\n"u8, .. Str("touch anomaly-ed-fuzz-ran-code"), 0x85, (byte)'R']);                     // os.system("...")
        yield return Pickle([.. "cbuiltins\neval\n"u8, .. Str("1"), 0x85, (byte)'R']);
        yield return Pickle("cos\nsystem\n"u8.ToArray());                                                                        // a bare callable
        yield return Pickle([.. "cbuiltins\nset\n"u8, (byte)')', (byte)'R']);                                                          // a set
        yield return Pickle([.. "cdatetime\ndatetime\n"u8, (byte)')', (byte)'R']);
        yield return Pickle([0x82, 1]);                                                                              // EXT1
        yield return Pickle([0x80, 9]);                                                                              // PROTO 9
        yield return Pickle([0x95, .. Le64(ulong.MaxValue), (byte)'N']);                                             // FRAME of 2^64 - 1
        yield return Pickle([(byte)'j', .. Le32(0x7FFF_FFFF)]);                                                    // LONG_BINGET of a missing memo entry
        yield return Pickle([(byte)'N', (byte)'r', .. Le32(0x7FFF_FFFF), (byte)'0', (byte)'}']);                     // LONG_BINPUT at 2^31 - 1
        yield return Pickle("0"u8.ToArray());                                                                                    // POP of an empty stack
        yield return [0x80, 2, (byte)'.'];                                                                          // STOP with an empty stack
        yield return Pickle([(byte)'J', 1, 0, 0, 0, (byte)'N', (byte)'b']);                                         // BUILD on an int
        yield return Pickle([(byte)'(', .. Str("a"), (byte)'i', .. "torch._utils\n_rebuild_tensor_v2\n"u8]);        // INST of the tensor constructor
        yield return Pickle([0xff]);                                                                                 // an unknown opcode
        yield return Pickle([(byte)'}', (byte)']', (byte)'N', (byte)'s']);                                          // a list as a dict key
        yield return Pickle([(byte)'}', .. Str(new string('k', 1 << 20)), (byte)'N', (byte)'s']);                    // a key of a million characters
        yield return Pickle([.. Enumerable.Repeat((byte)'N', 1), .. Enumerable.Repeat((byte)0x85, Deep), (byte)'Q']); // a persistent id nested 200,000 deep

        // Storages and views that do not fit.
        yield return Pickle(Dict("w", Tensor("0", 1L << 40, 0, [4], [1])));                                      // a storage of 2^40 elements
        yield return Pickle(Dict("w", Tensor("0", -5, 0, [4], [1])));
        yield return Pickle(Dict("w", Tensor("0", 4, 0, [5], [1])));                                              // a view past its storage
        yield return Pickle(Dict("w", Tensor("0", 4, 10, [0], [1])));                                             // an empty view past its storage
        yield return Pickle(Dict("w", Tensor("0", 4, -1, [4], [1])));
        yield return Pickle(Dict("w", Tensor("0", 4, 0, [4], [-1])));
        yield return Pickle(Dict("w", Tensor("0", 4, 0, [2, 2], [1])));
        yield return Pickle(Dict("w", Tensor("0", 4, 0, [long.MaxValue, 2], [long.MaxValue, 1])));                  // an overflowing view
        yield return Pickle(Dict("w", Tensor("0", 4, 0, [.. Enumerable.Repeat(1L, 200)], [.. Enumerable.Repeat(1L, 200)])));
        yield return Pickle(Dict("w", Tensor("0", 4, 0, [4], [1], "ComplexFloatStorage")));
        yield return Pickle([.. Dict("w", Tensor("0", 4, 0, [4], [1])), .. Str("v"), .. Tensor("0", 8, 0, [8], [1]), (byte)'s']); // one storage, two sizes
    }

    private static byte[] Doubling(int levels)
    {
        var bytes = new List<byte> { (byte)']', (byte)'q', 0 };
        for (var i = 0; i < levels; i++)
        {
            bytes.AddRange([(byte)'(', (byte)'h', (byte)i, (byte)'h', (byte)i, (byte)'l', (byte)'q', (byte)(i + 1)]);
        }

        return [.. bytes];
    }

    private static void Add(ZipArchive archive, string name, byte[] data)
    {
        var entry = archive.CreateEntry(name, CompressionLevel.NoCompression);
        using var stream = entry.Open();
        stream.Write(data);
    }
}
