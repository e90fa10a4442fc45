using Anomaly.ED.Build;
using Anomaly.ED.Tests.Data;

namespace Anomaly.ED.Tests.Build;

public sealed class ElfVersionNeedsTests
{
    private const string Version = ElfVersionNeeds.Glibcxx3432;

    [Fact]
    public void Reads_every_version_need_with_its_library_and_flags()
    {
        var elf = new ElfTestFile().Build();

        var needs = ElfVersionNeeds.ReadAll(elf, "test.so");

        needs.Select(n => (n.Library, n.Version, n.Flags)).Should().Equal(
            ("libc.so.6", "GLIBC_2.2.5", (ushort)0),
            ("libstdc++.so.6", "GLIBCXX_3.4.30", (ushort)0),
            ("libstdc++.so.6", "GLIBCXX_3.4.32", (ushort)0));
    }

    [Fact]
    public void Marking_weak_sets_only_the_weak_bit_of_that_entry()
    {
        var original = new ElfTestFile().Build();
        var elf = (byte[])original.Clone();

        var edit = ElfVersionNeeds.MarkWeak(elf, Version, "test.so");

        edit.Should().Be(VersionNeedEdit.Weakened);
        var need = ElfVersionNeeds.Find(elf, Version, "test.so")!;
        need.Flags.Should().Be(ElfVersionNeeds.VerFlagWeak);
        DifferingOffsets(original, elf).Should().Equal(need.FlagsOffset);
        ElfVersionNeeds.ReadAll(elf, "test.so").Where(n => n.Version != Version).Should().OnlyContain(n => n.Flags == 0);
    }

    [Fact]
    public void Marking_weak_keeps_the_other_flag_bits()
    {
        var elf = new ElfTestFile { Needs = [("libstdc++.so.6", [new VersionNeedSpec(Version, Flags: 0x1)])] }.Build();

        ElfVersionNeeds.MarkWeak(elf, Version, "test.so").Should().Be(VersionNeedEdit.Weakened);

        ElfVersionNeeds.Find(elf, Version, "test.so")!.Flags.Should().Be(0x3);
    }

    [Fact]
    public void Marking_weak_twice_changes_nothing_the_second_time()
    {
        var elf = new ElfTestFile().Build();
        ElfVersionNeeds.MarkWeak(elf, Version, "test.so");
        var once = (byte[])elf.Clone();

        var edit = ElfVersionNeeds.MarkWeak(elf, Version, "test.so");

        edit.Should().Be(VersionNeedEdit.AlreadyWeak);
        elf.Should().Equal(once);
    }

    [Fact]
    public void A_file_that_does_not_need_the_version_is_left_alone()
    {
        var original = new ElfTestFile { Needs = [("libstdc++.so.6", [new VersionNeedSpec("GLIBCXX_3.4.30")])] }.Build();
        var elf = (byte[])original.Clone();

        ElfVersionNeeds.MarkWeak(elf, Version, "test.so").Should().Be(VersionNeedEdit.NotNeeded);

        elf.Should().Equal(original);
    }

    [Fact]
    public void A_file_without_version_needs_is_left_alone()
    {
        var original = new ElfTestFile { Needs = null }.Build();
        var elf = (byte[])original.Clone();

        ElfVersionNeeds.MarkWeak(elf, Version, "test.so").Should().Be(VersionNeedEdit.NotNeeded);

        elf.Should().Equal(original);
    }

    [Fact]
    public void Every_truncation_is_refused_without_a_change()
    {
        var whole = new ElfTestFile().Build();
        for (var length = 0; length < whole.Length; length++)
        {
            var truncated = whole[..length];
            var before = (byte[])truncated.Clone();

            var act = () => ElfVersionNeeds.MarkWeak(truncated, Version, "cut.so");

            act.Should().Throw<InvalidDataException>($"a file cut to {length} of {whole.Length} bytes is incomplete")
                .WithMessage("cut.so: *");
            truncated.Should().Equal(before);
        }
    }

    [Theory]
    [InlineData(false, false, "*only 64-bit ELF files*")]
    [InlineData(true, true, "*only little-endian files*")]
    [InlineData(false, true, "*only 64-bit ELF files*")]
    public void Other_classes_and_byte_orders_are_refused_without_a_change(bool is64Bit, bool bigEndian, string message)
    {
        var original = new ElfTestFile { Is64Bit = is64Bit, BigEndian = bigEndian }.Build();
        var elf = (byte[])original.Clone();

        var act = () => ElfVersionNeeds.MarkWeak(elf, Version, "other.so");

        act.Should().Throw<InvalidDataException>().WithMessage(message);
        elf.Should().Equal(original);
    }

    [Fact]
    public void A_file_that_is_not_elf_is_refused()
    {
        var act = () => ElfVersionNeeds.MarkWeak("not a shared object"u8.ToArray(), Version, "text.so");

        act.Should().Throw<InvalidDataException>().WithMessage("text.so: not an ELF file.");
    }

    [Fact]
    public void A_version_chain_that_leaves_its_section_is_refused_without_a_change()
    {
        var original = new ElfTestFile().Build();
        var elf = (byte[])original.Clone();
        var firstEntry = (int)(ElfVersionNeeds.ReadAll(elf, "bad.so")[0].FlagsOffset - 4 - 16);
        BitConverter.GetBytes(0x10000u).CopyTo(elf, firstEntry + 12); // vn_next far past the section
        var damaged = (byte[])elf.Clone();

        var act = () => ElfVersionNeeds.MarkWeak(elf, Version, "bad.so");

        act.Should().Throw<InvalidDataException>().WithMessage("*lies outside .gnu.version_r*");
        elf.Should().Equal(damaged);
    }

    [Fact]
    public void A_name_outside_the_string_table_is_refused()
    {
        var elf = new ElfTestFile().Build();
        var lastAux = (int)(ElfVersionNeeds.Find(elf, Version, "bad.so")!.FlagsOffset - 4);
        BitConverter.GetBytes(0xffffu).CopyTo(elf, lastAux + 8); // vna_name

        var act = () => ElfVersionNeeds.MarkWeak(elf, Version, "bad.so");

        act.Should().Throw<InvalidDataException>().WithMessage("*outside the string table*");
    }

    [Fact]
    public void The_written_copy_differs_from_the_source_only_in_the_flag_and_keeps_its_permissions()
    {
        using var folder = new TempDirectory();
        var source = folder.Write("package/libLibTorchSharp.so", new ElfTestFile().Build());
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(source, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var destination = folder.Combine("obj/anomaly-ed/libLibTorchSharp.so");

        ElfVersionNeeds.WriteWeakenedCopy(source, destination, Version).Should().Be(VersionNeedEdit.Weakened);
        var again = ElfVersionNeeds.WriteWeakenedCopy(source, destination, Version);

        again.Should().Be(VersionNeedEdit.Weakened, "the source is never modified, so each copy is made from the original");
        var copy = File.ReadAllBytes(destination);
        var need = ElfVersionNeeds.Find(copy, Version, destination)!;
        need.IsWeak.Should().BeTrue();
        DifferingOffsets(File.ReadAllBytes(source), copy).Should().Equal(need.FlagsOffset);
        ElfVersionNeeds.Find(File.ReadAllBytes(source), Version, source)!.IsWeak.Should().BeFalse();
        Directory.GetFiles(Path.GetDirectoryName(destination)!).Should().Equal(destination);
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(destination).Should().Be(File.GetUnixFileMode(source));
        }
    }

    [Fact]
    public void A_refused_source_writes_no_copy()
    {
        using var folder = new TempDirectory();
        var source = folder.Write("package/libLibTorchSharp.so", new ElfTestFile { BigEndian = true }.Build());
        var destination = folder.Combine("obj/anomaly-ed/libLibTorchSharp.so");

        var act = () => ElfVersionNeeds.WriteWeakenedCopy(source, destination, Version);

        act.Should().Throw<InvalidDataException>();
        File.Exists(destination).Should().BeFalse();
    }

    [TorchSharpPackageFact]
    public void The_TorchSharp_library_needs_the_version_from_libstdcxx_and_the_edit_is_one_flag()
    {
        var package = TorchSharpNativeLibrary.InPackageFolder()!;
        var original = File.ReadAllBytes(package);
        var elf = (byte[])original.Clone();

        var need = ElfVersionNeeds.Find(elf, Version, package);
        ElfVersionNeeds.MarkWeak(elf, Version, package).Should().Be(VersionNeedEdit.Weakened);

        need.Should().NotBeNull();
        need!.Library.Should().Be("libstdc++.so.6");
        need.IsWeak.Should().BeFalse();
        DifferingOffsets(original, elf).Should().Equal(need.FlagsOffset);
    }

    private static List<long> DifferingOffsets(byte[] a, byte[] b)
    {
        a.Length.Should().Be(b.Length);
        var offsets = new List<long>();
        for (var i = 0; i < a.Length; i++)
        {
            if (a[i] != b[i])
            {
                offsets.Add(i);
            }
        }

        return offsets;
    }
}
