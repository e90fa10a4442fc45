using System.Text;

namespace Anomaly.ED.Tests.Build;

/// <summary>One Vernaux entry to write: a version name and its vna_flags.</summary>
internal sealed record VersionNeedSpec(string Version, ushort Flags = 0);

/// <summary>
/// Builds small, well-formed ELF shared objects (ET_DYN) in memory: a header, .dynstr, an optional .gnu.version_r
/// with the given needs, .shstrtab and the section header table at the end, as linkers lay them out. Either class
/// (32/64-bit) and either byte order, so the editor's refusals are tested on real layouts, not on a flipped byte.
/// readelf -V reads the default file as libc.so.6 (GLIBC_2.2.5) and libstdc++.so.6 (GLIBCXX_3.4.30, GLIBCXX_3.4.32).
/// </summary>
internal sealed class ElfTestFile
{
    private const uint ShtStrtab = 3;
    private const uint ShtGnuVerneed = 0x6ffffffe;

    public bool Is64Bit { get; init; } = true;

    public bool BigEndian { get; init; }

    /// <summary>Needed libraries and their versions, in table order; null writes no .gnu.version_r section.</summary>
    public IReadOnlyList<(string Library, VersionNeedSpec[] Versions)>? Needs { get; init; } =
    [
        ("libc.so.6", [new VersionNeedSpec("GLIBC_2.2.5")]),
        ("libstdc++.so.6", [new VersionNeedSpec("GLIBCXX_3.4.30"), new VersionNeedSpec("GLIBCXX_3.4.32")]),
    ];

    public byte[] Build()
    {
        var dynstr = new StringTable();
        var needs = Needs ?? [];
        foreach (var (library, versions) in needs)
        {
            dynstr.Add(library);
            foreach (var version in versions)
            {
                dynstr.Add(version.Version);
            }
        }

        var verneed = new List<byte>();
        for (var i = 0; i < needs.Count; i++)
        {
            var (library, versions) = needs[i];
            var entrySize = 16 + (16 * versions.Length);
            Put16(verneed, 1);
            Put16(verneed, (ushort)versions.Length);
            Put32(verneed, dynstr.Offset(library));
            Put32(verneed, 16);
            Put32(verneed, i == needs.Count - 1 ? 0u : (uint)entrySize);
            for (var k = 0; k < versions.Length; k++)
            {
                Put32(verneed, ElfHash(versions[k].Version));
                Put16(verneed, versions[k].Flags);
                Put16(verneed, (ushort)(2 + (i * 8) + k));
                Put32(verneed, dynstr.Offset(versions[k].Version));
                Put32(verneed, k == versions.Length - 1 ? 0u : 16u);
            }
        }

        var shstrtab = new StringTable();
        shstrtab.Add(".dynstr");
        shstrtab.Add(".gnu.version_r");
        shstrtab.Add(".shstrtab");

        var headerSize = Is64Bit ? 64 : 52;
        var sectionHeaderSize = Is64Bit ? 64 : 40;
        var file = new List<byte>(new byte[headerSize]);
        var dynstrOffset = Append(file, dynstr.Bytes, 1);
        var verneedOffset = Needs is null ? 0 : Append(file, verneed.ToArray(), 8);
        var shstrtabOffset = Append(file, shstrtab.Bytes, 1);
        var sectionTable = Align(file, 8);

        // Sections: 0 null, 1 .dynstr, 2 .gnu.version_r (if any), then .shstrtab.
        var sections = new List<byte[]> { SectionHeader(0, 0, 0, 0, 0, 0, 0, 0) };
        sections.Add(SectionHeader(shstrtab.Offset(".dynstr"), ShtStrtab, 0x2, dynstrOffset, dynstr.Bytes.Length, 0, 0, 1));
        if (Needs is not null)
        {
            sections.Add(SectionHeader(shstrtab.Offset(".gnu.version_r"), ShtGnuVerneed, 0x2, verneedOffset, verneed.Count, 1, (uint)needs.Count, 8));
        }

        sections.Add(SectionHeader(shstrtab.Offset(".shstrtab"), ShtStrtab, 0, shstrtabOffset, shstrtab.Bytes.Length, 0, 0, 1));
        foreach (var section in sections)
        {
            file.AddRange(section);
        }

        var bytes = file.ToArray();
        WriteHeader(bytes, sectionTable, sections.Count, headerSize, sectionHeaderSize);
        return bytes;
    }

    /// <summary>The ELF hash (vna_hash) of a version name, as the System V ABI defines it.</summary>
    public static uint ElfHash(string name)
    {
        uint h = 0;
        foreach (var c in Encoding.ASCII.GetBytes(name))
        {
            h = (h << 4) + c;
            var g = h & 0xf0000000;
            if (g != 0)
            {
                h ^= g >> 24;
            }

            h &= ~g;
        }

        return h;
    }

    private void WriteHeader(byte[] bytes, long sectionTable, int sectionCount, int headerSize, int sectionHeaderSize)
    {
        byte[] ident = [0x7f, (byte)'E', (byte)'L', (byte)'F', (byte)(Is64Bit ? 2 : 1), (byte)(BigEndian ? 2 : 1), 1, 0];
        ident.CopyTo(bytes, 0);
        var header = new List<byte>();
        Put16(header, 3); // ET_DYN
        Put16(header, (ushort)(Is64Bit ? 62 : 3)); // EM_X86_64 or EM_386
        Put32(header, 1);
        PutAddress(header, 0); // e_entry
        PutAddress(header, 0); // e_phoff
        PutAddress(header, (ulong)sectionTable);
        Put32(header, 0); // e_flags
        Put16(header, (ushort)headerSize);
        Put16(header, (ushort)(Is64Bit ? 56 : 32)); // e_phentsize
        Put16(header, 0); // e_phnum
        Put16(header, (ushort)sectionHeaderSize);
        Put16(header, (ushort)sectionCount);
        Put16(header, (ushort)(sectionCount - 1)); // e_shstrndx: .shstrtab is last
        header.CopyTo(bytes, 16);
    }

    private byte[] SectionHeader(uint name, uint type, ulong flags, long offset, long size, uint link, uint info, ulong align)
    {
        var header = new List<byte>();
        Put32(header, name);
        Put32(header, type);
        PutAddress(header, flags);
        PutAddress(header, 0); // sh_addr
        PutAddress(header, (ulong)offset);
        PutAddress(header, (ulong)size);
        Put32(header, link);
        Put32(header, info);
        PutAddress(header, align);
        PutAddress(header, 0); // sh_entsize
        return header.ToArray();
    }

    private static long Append(List<byte> file, byte[] data, int alignment)
    {
        var offset = Align(file, alignment);
        file.AddRange(data);
        return offset;
    }

    private static long Align(List<byte> file, int alignment)
    {
        while (file.Count % alignment != 0)
        {
            file.Add(0);
        }

        return file.Count;
    }

    private void PutAddress(List<byte> to, ulong value)
    {
        if (Is64Bit)
        {
            Put(to, value, 8);
        }
        else
        {
            Put(to, value, 4);
        }
    }

    private void Put16(List<byte> to, ushort value) => Put(to, value, 2);

    private void Put32(List<byte> to, uint value) => Put(to, value, 4);

    private void Put(List<byte> to, ulong value, int size)
    {
        var bytes = new byte[size];
        for (var i = 0; i < size; i++)
        {
            bytes[BigEndian ? size - 1 - i : i] = (byte)(value >> (8 * i));
        }

        to.AddRange(bytes);
    }

    private sealed class StringTable
    {
        private readonly List<byte> bytes = [0];
        private readonly Dictionary<string, uint> offsets = [];

        public byte[] Bytes => [.. bytes];

        public void Add(string value)
        {
            if (!offsets.ContainsKey(value))
            {
                offsets[value] = (uint)bytes.Count;
                bytes.AddRange(Encoding.ASCII.GetBytes(value));
                bytes.Add(0);
            }
        }

        public uint Offset(string value) => offsets[value];
    }
}
