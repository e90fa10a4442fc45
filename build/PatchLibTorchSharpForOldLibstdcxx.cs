// MSBuild inline task (RoslynCodeTaskFactory). TorchSharp 0.107's libLibTorchSharp.so asks for
// GLIBCXX_3.4.32 (GCC 13's libstdc++) for one symbol only, std::ios_base_library_init(). Where the
// system libstdc++ lacks that version, this task patches the build-output copy of the library:
// the version requirement becomes weak, the symbol loses its version, and a tiny shim library that
// defines the symbol is added as a needed library next to it. Nothing outside the output folder
// (NuGet cache, system folders) is touched. See docs/linux-native-libraries.md.
#nullable enable
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class PatchLibTorchSharpForOldLibstdcxx : Task
{
    private const string LibraryName = "libLibTorchSharp.so";
    private const string MissingVersion = "GLIBCXX_3.4.32";
    private const string Symbol = "_ZSt21ios_base_library_initv";
    private const string ShimName = "libAnomalyEdStdcxxShim.so";
    private const ushort VerFlagWeak = 0x2;

    [Required]
    public string SearchDirectory { get; set; } = "";

    [Required]
    public string ShimSource { get; set; } = "";

    public override bool Execute()
    {
        if (!Directory.Exists(SearchDirectory))
        {
            return true;
        }

        var libraries = Directory.EnumerateFiles(SearchDirectory, LibraryName, SearchOption.AllDirectories)
            .Where(p => !p.Replace('\\', '/').Contains("/runtimes/") || p.Replace('\\', '/').Contains("/runtimes/linux"))
            .ToList();
        if (libraries.Count == 0)
        {
            return true;
        }

        var systemLibstdcxx = FindSystemLibstdcxx();
        if (systemLibstdcxx.Any(p => FileContains(p, MissingVersion)))
        {
            Log.LogMessage(MessageImportance.Low, $"System libstdc++ provides {MissingVersion}; {LibraryName} needs no patch.");
            return true;
        }

        foreach (var library in libraries)
        {
            if (!PatchOne(library, systemLibstdcxx.FirstOrDefault() ?? "(not found)"))
            {
                return false;
            }
        }

        return !Log.HasLoggedErrors;
    }

    private bool PatchOne(string library, string systemLibstdcxx)
    {
        var directory = Path.GetDirectoryName(library)!;
        var shim = Path.Combine(directory, ShimName);
        var state = ReadVersionFlags(File.ReadAllBytes(library));
        if (state is null)
        {
            Log.LogMessage(MessageImportance.Low, $"{library} does not require {MissingVersion}.");
            return true;
        }

        if ((state.Value.Flags & VerFlagWeak) != 0 && File.Exists(shim))
        {
            return true;
        }

        var compiler = FindTool("g++") ?? FindTool("c++");
        var patchelf = FindTool("patchelf");
        if (compiler is null || patchelf is null)
        {
            Log.LogError(
                $"Anomaly.ED: {library} needs {MissingVersion}, which this system's libstdc++ ({systemLibstdcxx}) lacks, " +
                "so TorchSharp cannot load. The build patches its own copy of the library, and for that it needs " +
                "'patchelf' and 'g++' on PATH (Debian/Ubuntu: sudo apt-get install patchelf g++). " +
                "See docs/linux-native-libraries.md.");
            return false;
        }

        if (!File.Exists(shim))
        {
            var shimTemp = shim + ".tmp";
            if (!Run(compiler, $"-shared -fPIC -O2 -o \"{shimTemp}\" \"{ShimSource}\""))
            {
                return false;
            }

            MoveOver(shimTemp, shim);
        }

        if ((state.Value.Flags & VerFlagWeak) != 0)
        {
            return true;
        }

        var temp = library + ".patching";
        File.Copy(library, temp, overwrite: true);
        try
        {
            if (!Run(patchelf, $"--clear-symbol-version {Symbol} \"{temp}\"") ||
                !Run(patchelf, $"--add-needed {ShimName} \"{temp}\""))
            {
                return false;
            }

            var bytes = File.ReadAllBytes(temp);
            var patched = ReadVersionFlags(bytes)
                ?? throw new InvalidOperationException($"{MissingVersion} disappeared from {temp} after patchelf.");
            BitConverter.GetBytes((ushort)(patched.Flags | VerFlagWeak)).CopyTo(bytes, patched.FlagsOffset);
            File.WriteAllBytes(temp, bytes);
            MoveOver(temp, library);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }

        Log.LogMessage(MessageImportance.High,
            $"Anomaly.ED: patched {library} to load without {MissingVersion} (system libstdc++: {systemLibstdcxx}).");
        return true;
    }

    /// <summary>Finds the vernaux entry of the missing version; returns its flags and their file offset.</summary>
    private static (ushort Flags, int FlagsOffset)? ReadVersionFlags(byte[] elf)
    {
        // ELF64, little-endian only: the platforms TorchSharp ships Linux binaries for.
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F' || elf[4] != 2 || elf[5] != 1)
        {
            return null;
        }

        var shoff = (long)BitConverter.ToUInt64(elf, 0x28);
        var shentsize = BitConverter.ToUInt16(elf, 0x3a);
        var shnum = BitConverter.ToUInt16(elf, 0x3c);
        for (var i = 0; i < shnum; i++)
        {
            var header = (int)(shoff + (long)i * shentsize);
            var type = BitConverter.ToUInt32(elf, header + 4);
            const uint ShtGnuVerneed = 0x6ffffffe;
            if (type != ShtGnuVerneed)
            {
                continue;
            }

            var offset = (int)BitConverter.ToUInt64(elf, header + 0x18);
            var link = BitConverter.ToUInt32(elf, header + 0x28);
            var strtab = (int)BitConverter.ToUInt64(elf, (int)(shoff + (long)link * shentsize) + 0x18);
            var need = offset;
            while (true)
            {
                var count = BitConverter.ToUInt16(elf, need + 2);
                var aux = need + (int)BitConverter.ToUInt32(elf, need + 8);
                for (var k = 0; k < count; k++)
                {
                    var name = ReadString(elf, strtab + (int)BitConverter.ToUInt32(elf, aux + 8));
                    if (name == MissingVersion)
                    {
                        return (BitConverter.ToUInt16(elf, aux + 4), aux + 4);
                    }

                    aux += (int)BitConverter.ToUInt32(elf, aux + 12);
                }

                var next = BitConverter.ToUInt32(elf, need + 12);
                if (next == 0)
                {
                    break;
                }

                need += (int)next;
            }
        }

        return null;
    }

    private static string ReadString(byte[] bytes, int start)
    {
        var end = Array.IndexOf(bytes, (byte)0, start);
        return Encoding.ASCII.GetString(bytes, start, end - start);
    }

    private static IReadOnlyList<string> FindSystemLibstdcxx()
    {
        var found = new List<string>();
        try
        {
            var ldconfig = File.Exists("/sbin/ldconfig") ? "/sbin/ldconfig" : "ldconfig";
            var info = new ProcessStartInfo(ldconfig, "-p") { RedirectStandardOutput = true, UseShellExecute = false };
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            var arch = System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64
                ? "AArch64"
                : "x86-64";
            foreach (var line in output.Split('\n'))
            {
                var trimmed = line.Trim();
                if (trimmed.StartsWith("libstdc++.so.6 ", StringComparison.Ordinal) && trimmed.Contains(arch))
                {
                    var arrow = trimmed.IndexOf("=> ", StringComparison.Ordinal);
                    if (arrow >= 0)
                    {
                        found.Add(trimmed.Substring(arrow + 3).Trim());
                    }
                }
            }
        }
        catch (Exception)
        {
            // ldconfig is missing on some minimal images; the fixed locations below still apply.
        }

        foreach (var candidate in new[]
                 {
                     "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
                     "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
                 })
        {
            if (File.Exists(candidate) && !found.Contains(candidate))
            {
                found.Add(candidate);
            }
        }

        return found;
    }

    private static bool FileContains(string path, string text)
    {
        var needle = Encoding.ASCII.GetBytes(text);
        var bytes = File.ReadAllBytes(path);
        for (var i = 0; i + needle.Length <= bytes.Length; i++)
        {
            var j = 0;
            while (j < needle.Length && bytes[i + j] == needle[j])
            {
                j++;
            }

            if (j == needle.Length)
            {
                return true;
            }
        }

        return false;
    }

    // A rename within one folder: the library is never seen half-written.
    private static void MoveOver(string source, string destination)
    {
        if (File.Exists(destination))
        {
            File.Replace(source, destination, null);
        }
        else
        {
            File.Move(source, destination);
        }
    }

    private static string? FindTool(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private bool Run(string tool, string arguments)
    {
        var info = new ProcessStartInfo(tool, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            Log.LogError($"Anomaly.ED: '{tool} {arguments}' failed with exit code {process.ExitCode}: {stderr}{stdout.Result}");
            return false;
        }

        return true;
    }
}
