// MSBuild inline task (RoslynCodeTaskFactory) of build/Anomaly.ED.targets, shipped in the package under
// buildTransitive/. TorchSharp 0.107's libLibTorchSharp.so requires GLIBCXX_3.4.32 (GCC 13's libstdc++) only
// because GCC 13's <iostream> references std::ios_base_library_init() to force that version; no relocation uses
// the symbol. Marking the requirement weak (VER_FLG_WEAK) in the .gnu.version_r table, a two-byte in-place edit,
// lets the library load with GCC 12's libstdc++ (Debian 12, Ubuntu 22.04). See docs/linux-native-libraries.md.
// The test project compiles this file with ANOMALY_ED_ELF_EDITOR_ONLY, which leaves out the MSBuild task.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
#if !ANOMALY_ED_ELF_EDITOR_ONLY
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
#endif

namespace Anomaly.ED.Build;

#if !ANOMALY_ED_ELF_EDITOR_ONLY
/// <summary>
/// Writes, for each library in <see cref="Libraries"/>, a copy at its <c>PatchedPath</c> metadata in which the
/// GLIBCXX_3.4.32 requirement is weak; logs one line per library it changed. The sources are never modified.
/// </summary>
public sealed class AnomalyEdWeakenGlibcxxRequirement : Task
{
    /// <summary>The libLibTorchSharp.so files (in the NuGet package folder), each with PatchedPath metadata.</summary>
    [Required]
    public ITaskItem[] Libraries { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>Why the copy is patched, for the log line (the system libstdc++ that lacks the version).</summary>
    [Required]
    public string Reason { get; set; } = "";

    public override bool Execute()
    {
        foreach (var library in Libraries)
        {
            var source = library.GetMetadata("FullPath");
            var destination = Path.GetFullPath(library.GetMetadata("PatchedPath"));
            try
            {
                var edit = ElfVersionNeeds.WriteWeakenedCopy(source, destination, ElfVersionNeeds.Glibcxx3432);
                if (edit == VersionNeedEdit.Weakened)
                {
                    Log.LogMessage(MessageImportance.High,
                        $"Anomaly.ED: made the {ElfVersionNeeds.Glibcxx3432} requirement of {Path.GetFileName(source)} weak in the copy " +
                        $"for this build's output ({Reason}); AnomalyEdPatchLibTorchSharp=false turns this off.");
                }
                else
                {
                    Log.LogMessage(MessageImportance.Low,
                        $"Anomaly.ED: {source} needs no change ({edit}); copied unchanged to {destination}.");
                }
            }
            catch (Exception e) when (e is InvalidDataException || e is IOException || e is UnauthorizedAccessException)
            {
                Log.LogError(
                    $"Anomaly.ED: could not make the {ElfVersionNeeds.Glibcxx3432} requirement of {source} weak: {e.Message} " +
                    "TorchSharp will not load on this system without it; see docs/linux-native-libraries.md of Anomaly.ED " +
                    "(AnomalyEdPatchLibTorchSharp=false turns the patch off).");
            }
        }

        return !Log.HasLoggedErrors;
    }
}
#endif

/// <summary>What <see cref="ElfVersionNeeds.MarkWeak"/> did.</summary>
internal enum VersionNeedEdit
{
    /// <summary>The file has no version needs table, or does not need the version: nothing changed.</summary>
    NotNeeded,

    /// <summary>The requirement was already weak: nothing changed.</summary>
    AlreadyWeak,

    /// <summary>The VER_FLG_WEAK bit of the requirement was set; nothing else changed.</summary>
    Weakened,
}

/// <summary>One entry (Elf64_Vernaux) of a .gnu.version_r table.</summary>
internal sealed class VersionNeed
{
    public VersionNeed(string library, string version, ushort flags, long flagsOffset)
    {
        Library = library;
        Version = version;
        Flags = flags;
        FlagsOffset = flagsOffset;
    }

    /// <summary>The needed library (vn_file), for example libstdc++.so.6.</summary>
    public string Library { get; }

    /// <summary>The version name (vna_name), for example GLIBCXX_3.4.32.</summary>
    public string Version { get; }

    /// <summary>vna_flags.</summary>
    public ushort Flags { get; }

    /// <summary>The file offset of vna_flags.</summary>
    public long FlagsOffset { get; }

    public bool IsWeak => (Flags & ElfVersionNeeds.VerFlagWeak) != 0;
}

/// <summary>
/// Reads and edits the version needs (.gnu.version_r, SHT_GNU_verneed) of 64-bit little-endian ELF files: the
/// layout of every TorchSharp Linux library. Every offset is checked against the file, so a malformed or
/// unsupported file gives an <see cref="InvalidDataException"/> and is never changed.
/// </summary>
internal static class ElfVersionNeeds
{
    public const string Glibcxx3432 = "GLIBCXX_3.4.32";
    public const ushort VerFlagWeak = 0x2;

    private const int HeaderSize = 64;
    private const int SectionHeaderSize = 64;
    private const int VerneedSize = 16;
    private const int VernauxSize = 16;
    private const uint ShtStrtab = 3;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort ShnXindex = 0xffff;

    /// <summary>
    /// Writes a copy of <paramref name="source"/> to <paramref name="destination"/> in which the requirement of
    /// <paramref name="version"/> is weak; a file that does not need the version is copied unchanged. The copy
    /// keeps the source's permissions, is written to a temporary file, read back and compared with the expected
    /// bytes, then renamed over the destination, so the destination is never half-written or wrong.
    /// </summary>
    public static VersionNeedEdit WriteWeakenedCopy(string source, string destination, string version)
    {
        var bytes = File.ReadAllBytes(source);
        var edit = MarkWeak(bytes, version, source);
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        var temporary = destination + ".tmp";
        try
        {
            File.Copy(source, temporary, overwrite: true);
            if (edit == VersionNeedEdit.Weakened)
            {
                File.WriteAllBytes(temporary, bytes);
            }

            var written = File.ReadAllBytes(temporary);
            if (written.Length != bytes.Length || !AreEqual(written, bytes))
            {
                throw new IOException($"{temporary}: the written file does not read back as expected.");
            }

            if (File.Exists(destination))
            {
                File.Replace(temporary, destination, null);
            }
            else
            {
                File.Move(temporary, destination);
            }
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }

        return edit;
    }

    /// <summary>Sets VER_FLG_WEAK on the requirement of <paramref name="version"/> in <paramref name="elf"/>, in place.</summary>
    /// <param name="elf">The whole file.</param>
    /// <param name="version">The version name, for example GLIBCXX_3.4.32.</param>
    /// <param name="fileName">The file's name, for messages.</param>
    public static VersionNeedEdit MarkWeak(byte[] elf, string version, string fileName)
    {
        var need = Find(elf, version, fileName);
        if (need is null)
        {
            return VersionNeedEdit.NotNeeded;
        }

        if (need.IsWeak)
        {
            return VersionNeedEdit.AlreadyWeak;
        }

        WriteUInt16(elf, need.FlagsOffset, (ushort)(need.Flags | VerFlagWeak));
        var check = Find(elf, version, fileName);
        if (check is null || check.FlagsOffset != need.FlagsOffset || check.Flags != (need.Flags | VerFlagWeak))
        {
            throw new InvalidDataException($"{fileName}: the {version} requirement did not read back as weak.");
        }

        return VersionNeedEdit.Weakened;
    }

    /// <summary>
    /// The requirement of <paramref name="version"/>, or null when the file has no version needs table or does
    /// not need that version.
    /// </summary>
    public static VersionNeed? Find(byte[] elf, string version, string fileName)
    {
        foreach (var need in ReadAll(elf, fileName))
        {
            if (need.Version == version)
            {
                return need;
            }
        }

        return null;
    }

    /// <summary>Every entry of every version needs table, in file order.</summary>
    public static List<VersionNeed> ReadAll(byte[] elf, string fileName)
    {
        CheckHeader(elf, fileName);
        var sectionTable = (long)ReadUInt64(elf, 0x28, fileName);
        var entrySize = ReadUInt16(elf, 0x3a, fileName);
        long sectionCount = ReadUInt16(elf, 0x3c, fileName);
        var needs = new List<VersionNeed>();
        if (sectionTable == 0)
        {
            throw new InvalidDataException($"{fileName}: the ELF file has no section header table, so its version needs cannot be found.");
        }

        if (entrySize != SectionHeaderSize)
        {
            throw new InvalidDataException($"{fileName}: section header entries are {entrySize} bytes, not {SectionHeaderSize}.");
        }

        if (sectionCount == 0)
        {
            // Extended numbering: with 0xff00 sections or more the count is in section 0's sh_size.
            CheckRange(elf, sectionTable, SectionHeaderSize, "section header 0", fileName);
            sectionCount = (long)ReadUInt64(elf, sectionTable + 0x20, fileName);
        }

        if (sectionCount < 0 || sectionCount > elf.Length / SectionHeaderSize)
        {
            throw new InvalidDataException($"{fileName}: the section header table claims {sectionCount} sections, more than the file can hold; the file is truncated or damaged.");
        }

        CheckRange(elf, sectionTable, sectionCount * SectionHeaderSize, "section header table", fileName);
        for (long i = 0; i < sectionCount; i++)
        {
            var header = sectionTable + (i * SectionHeaderSize);
            if (ReadUInt32(elf, header + 4, fileName) == ShtGnuVerneed)
            {
                ReadVerneedSection(elf, sectionTable, sectionCount, header, needs, fileName);
            }
        }

        return needs;
    }

    private static void CheckHeader(byte[] elf, string fileName)
    {
        if (elf.Length < 4 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
        {
            throw new InvalidDataException($"{fileName}: not an ELF file.");
        }

        if (elf.Length < HeaderSize)
        {
            throw new InvalidDataException($"{fileName}: truncated ELF header ({elf.Length} bytes, {HeaderSize} needed).");
        }

        if (elf[4] != 2)
        {
            throw new InvalidDataException($"{fileName}: ELF class {elf[4]} is not supported; only 64-bit ELF files (class 2) are edited.");
        }

        if (elf[5] != 1)
        {
            throw new InvalidDataException($"{fileName}: ELF data encoding {elf[5]} is not supported; only little-endian files (1) are edited.");
        }

        if (elf[6] != 1)
        {
            throw new InvalidDataException($"{fileName}: ELF version {elf[6]} is not supported.");
        }
    }

    private static void ReadVerneedSection(
        byte[] elf, long sectionTable, long sectionCount, long header, List<VersionNeed> needs, string fileName)
    {
        var start = (long)ReadUInt64(elf, header + 0x18, fileName);
        var size = (long)ReadUInt64(elf, header + 0x20, fileName);
        var link = ReadUInt32(elf, header + 0x28, fileName);
        CheckRange(elf, start, size, ".gnu.version_r", fileName);
        if (link == 0 || link >= sectionCount || link == ShnXindex)
        {
            throw new InvalidDataException($"{fileName}: .gnu.version_r links to section {link}, which is not a section of this file.");
        }

        var strings = sectionTable + (link * SectionHeaderSize);
        if (ReadUInt32(elf, strings + 4, fileName) != ShtStrtab)
        {
            throw new InvalidDataException($"{fileName}: .gnu.version_r links to section {link}, which is not a string table.");
        }

        var stringsStart = (long)ReadUInt64(elf, strings + 0x18, fileName);
        var stringsSize = (long)ReadUInt64(elf, strings + 0x20, fileName);
        CheckRange(elf, stringsStart, stringsSize, "the string table of .gnu.version_r", fileName);

        // Walk the chains as the loader (glibc's _dl_check_map_versions) does: by vn_next and vna_next, not by the
        // counts. Each step moves forward and stays inside the section, so the walk ends.
        var end = start + size;
        var entry = start;
        while (true)
        {
            CheckWithin(entry, VerneedSize, start, end, "Verneed entry", fileName);
            var revision = ReadUInt16(elf, entry, fileName);
            if (revision != 1)
            {
                throw new InvalidDataException($"{fileName}: Verneed entry at offset {entry} has revision {revision}, not 1.");
            }

            var library = ReadString(elf, stringsStart, stringsSize, ReadUInt32(elf, entry + 4, fileName), fileName);
            var aux = entry + ReadUInt32(elf, entry + 8, fileName);
            while (true)
            {
                CheckWithin(aux, VernauxSize, start, end, "Vernaux entry", fileName);
                var name = ReadString(elf, stringsStart, stringsSize, ReadUInt32(elf, aux + 8, fileName), fileName);
                needs.Add(new VersionNeed(library, name, ReadUInt16(elf, aux + 4, fileName), aux + 4));
                var nextAux = ReadUInt32(elf, aux + 12, fileName);
                if (nextAux == 0)
                {
                    break;
                }

                aux += nextAux;
            }

            var next = ReadUInt32(elf, entry + 12, fileName);
            if (next == 0)
            {
                break;
            }

            entry += next;
        }
    }

    private static bool AreEqual(byte[] a, byte[] b)
    {
        for (var i = 0; i < a.Length; i++)
        {
            if (a[i] != b[i])
            {
                return false;
            }
        }

        return true;
    }

    private static string ReadString(byte[] elf, long tableStart, long tableSize, uint offset, string fileName)
    {
        if (offset >= tableSize)
        {
            throw new InvalidDataException($"{fileName}: string offset {offset} is outside the string table ({tableSize} bytes).");
        }

        var start = tableStart + offset;
        var end = Array.IndexOf(elf, (byte)0, (int)start, (int)(tableSize - offset));
        if (end < 0)
        {
            throw new InvalidDataException($"{fileName}: the string at offset {offset} of the string table is not terminated.");
        }

        return Encoding.ASCII.GetString(elf, (int)start, end - (int)start);
    }

    private static void CheckRange(byte[] elf, long offset, long length, string what, string fileName)
    {
        if (offset < 0 || length < 0 || offset > elf.Length || length > elf.Length - offset)
        {
            throw new InvalidDataException(
                $"{fileName}: {what} (offset {offset}, {length} bytes) extends past the end of the file ({elf.Length} bytes); the file is truncated or damaged.");
        }
    }

    private static void CheckWithin(long offset, long length, long sectionStart, long sectionEnd, string what, string fileName)
    {
        if (offset < sectionStart || offset + length > sectionEnd)
        {
            throw new InvalidDataException($"{fileName}: {what} at offset {offset} lies outside .gnu.version_r.");
        }
    }

    private static ushort ReadUInt16(byte[] elf, long offset, string fileName)
    {
        CheckRange(elf, offset, 2, "a field", fileName);
        return (ushort)(elf[offset] | (elf[offset + 1] << 8));
    }

    private static uint ReadUInt32(byte[] elf, long offset, string fileName)
    {
        CheckRange(elf, offset, 4, "a field", fileName);
        return (uint)(elf[offset] | (elf[offset + 1] << 8) | (elf[offset + 2] << 16) | (elf[offset + 3] << 24));
    }

    private static ulong ReadUInt64(byte[] elf, long offset, string fileName) =>
        ReadUInt32(elf, offset, fileName) | ((ulong)ReadUInt32(elf, offset + 4, fileName) << 32);

    private static void WriteUInt16(byte[] elf, long offset, ushort value)
    {
        elf[offset] = (byte)value;
        elf[offset + 1] = (byte)(value >> 8);
    }
}
