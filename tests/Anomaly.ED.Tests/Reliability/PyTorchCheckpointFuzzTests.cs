using Anomaly.ED.Backbones;
using Anomaly.ED.Formats;
using Anomaly.ED.Tests.Data;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Reliability;

/// <summary>
/// PyTorch <c>torch.save</c> files (zip and legacy layouts) under hostile bytes: every case is read or refused with
/// <see cref="CheckpointFormatException"/> naming the file (or <see cref="SafetensorsFormatException"/> when the damage
/// makes it look like a safetensors file), without a crash, hang or allocation out of proportion to the file.
/// </summary>
public sealed class PyTorchCheckpointFuzzTests(ITestOutputHelper output)
{
    private static readonly string DataFolder = Path.Combine(AppContext.BaseDirectory, "Formats", "Data");

    /// <summary>Managed bytes a case may allocate: generous for a small file, far below what a hostile length declares.</summary>
    internal static long AllocationLimit(int inputLength) => (64L << 20) + (64L * inputLength);

    [Fact]
    public void MutatedCheckpointsAreReadOrRefusedWithTheDocumentedException()
    {
        using var folder = new TempDirectory();
        var seeds = new[] { "small_zip.pth", "small_legacy.pth", "small_wrapped.bin" }.Select(f => File.ReadAllBytes(Path.Combine(DataFolder, f))).ToArray();
        var fuzzer = new MutationFuzzer(1613);
        var path = Path.Combine(folder.Path, "case.pth");
        var inputs = SafetensorsFuzzTests.Regressions("checkpoint")
            .Concat(HostileFiles())
            .Concat(seeds.SelectMany(s => MutationFuzzer.Truncations(s, Enumerable.Range(0, 24).Select(i => s.Length * i / 24))))
            .Concat(Enumerable.Range(0, int.MaxValue).Select(i => Mutate(fuzzer, seeds[i % seeds.Length], i)));

        var report = MutationFuzzer.Run("checkpoint", inputs, bytes => ReadStateDict(path, bytes), [typeof(CheckpointFormatException), typeof(SafetensorsFormatException)], MutationFuzzer.Budget(6), MutationFuzzer.MaxCases(20_000), AllocationLimit);

        output.WriteLine(report.ToString());
        report.Findings.Should().BeEmpty(report.ToString());
        report.Cases.Should().BeGreaterThan(300);
        report.Accepted.Should().BeGreaterThan(0, "mutations of tensor data leave readable files");
        report.Rejected.Should().BeGreaterThan(0);
        File.Exists(Path.Combine(Environment.CurrentDirectory, "anomaly-ed-fuzz-ran-code")).Should().BeFalse("no pickle may run code");
    }

    [Fact]
    public void MutatedBackboneWeightsLoadOrAreRefusedWithTheDocumentedException()
    {
        using var folder = new TempDirectory();
        var seeds = new[] { "resnet18_layer1.pth", "resnet18_layer1_legacy.pth" }.Select(f => File.ReadAllBytes(Path.Combine(DataFolder, f))).ToArray();
        using var network = new ResNet(BackboneCatalog.Get("resnet18"), stageCount: 1, includeClassifier: false);
        var fuzzer = new MutationFuzzer(1614);
        var path = Path.Combine(folder.Path, "case.pth");
        var inputs = SafetensorsFuzzTests.Regressions("backbone")
            .Concat(seeds)
            .Concat(Enumerable.Range(0, int.MaxValue).Select(i => Mutate(fuzzer, seeds[i % seeds.Length], i)));

        var report = MutationFuzzer.Run(
            "backbone",
            inputs,
            bytes =>
            {
                File.WriteAllBytes(path, bytes);
                network.LoadWeights(path);
            },
            [typeof(CheckpointFormatException), typeof(SafetensorsFormatException), typeof(StateDictMismatchException)],
            MutationFuzzer.Budget(3),
            MutationFuzzer.MaxCases(5_000),
            AllocationLimit);

        output.WriteLine(report.ToString());
        report.Findings.Should().BeEmpty(report.ToString());
        report.Cases.Should().BeGreaterThan(30);
        report.Accepted.Should().BeGreaterThan(1, "the seeds and mutations of their tensor data load");
    }

    [Fact]
    public void ADeclaredLengthFarPastTheEndAllocatesNothing()
    {
        using var folder = new TempDirectory();
        var path = folder.Write("huge.pth", HostilePickles.Legacy(HostilePickles.Pickle([(byte)'B', .. HostilePickles.Le32(0x7FFF_FFF0), 1, 2, 3])));
        var before = GC.GetAllocatedBytesForCurrentThread();

        var open = () => PyTorchCheckpointFile.Open(path);

        open.Should().Throw<CheckpointFormatException>().Which.Message.Should().Contain("truncated");
        (GC.GetAllocatedBytesForCurrentThread() - before).Should().BeLessThan(16 << 20);
    }

    [Fact]
    public void NestingDeeperThanTheLimitIsRefusedAndSharedContainersAreCheckedOnce()
    {
        using var folder = new TempDirectory();
        var roots = HostilePickles.HostileRoots().Take(5).ToArray();

        var deep = () => PyTorchCheckpointFile.Open(folder.Write("deep.pth", HostilePickles.Legacy(roots[0])));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using (var shared = PyTorchCheckpointFile.Open(folder.Write("shared.pth", HostilePickles.Legacy(roots[4]))))
        {
            shared.Root.Should().BeOfType<System.Collections.ArrayList>();
        }

        deep.Should().Throw<CheckpointFormatException>().Which.Message.Should().Contain("more than 64 levels deep");
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5), "2^60 paths through shared lists are not walked one by one");
    }

    /// <summary>One mutation: for a zip archive, often of the pickle inside it (repacked, so the archive stays valid).</summary>
    internal static byte[] Mutate(MutationFuzzer fuzzer, byte[] seed, int index)
    {
        if (seed[0] != (byte)'P' || index % 3 == 0)
        {
            return fuzzer.Mutate(seed, seed.Length);
        }

        var entries = HostilePickles.Entries(seed);
        var at = entries.FindIndex(e => e.Name.EndsWith("data.pkl", StringComparison.Ordinal));
        entries[at] = (entries[at].Name, fuzzer.Mutate(entries[at].Data, entries[at].Data.Length));
        if (index % 7 == 0)
        {
            // A storage entry truncated or removed.
            var storage = entries.FindIndex(e => e.Name.Contains("/data/", StringComparison.Ordinal));
            entries[storage] = (entries[storage].Name, entries[storage].Data[..(entries[storage].Data.Length / 2)]);
        }

        return HostilePickles.Zip(entries);
    }

    private static IEnumerable<byte[]> HostileFiles()
    {
        var four = new byte[16];
        foreach (var root in HostilePickles.HostileRoots())
        {
            yield return HostilePickles.Legacy(root, ("0", 4, four));
            yield return HostilePickles.Zip(root, ("0", four));
        }

        var valid = HostilePickles.Pickle(HostilePickles.Dict("w", HostilePickles.Tensor("0", 4, 0, [4], [1])));
        yield return HostilePickles.Legacy(valid, ("0", 4, four));                        // read
        yield return HostilePickles.Zip(valid, ("0", four));                              // read
        yield return HostilePickles.Legacy(valid, ("0", 5, four));                        // a storage count that differs from the pickle's
        yield return HostilePickles.Legacy(valid, ("0", 4, four[..7]));                   // storage data cut short
        yield return HostilePickles.Legacy(valid, ("1", 4, four));                        // a storage no tensor uses
        yield return HostilePickles.Legacy(valid);                                        // a storage not stored
        yield return HostilePickles.Zip(valid);                                           // a storage entry missing
        yield return HostilePickles.Zip(valid, ("0", new byte[15]));                      // a storage entry of another size
        yield return HostilePickles.Zip(valid, ("0", four), ("0", four));                 // a storage entry twice
        yield return HostilePickles.Zip([("a/data.pkl", valid), ("b/data.pkl", valid)]);   // two pickles
        yield return HostilePickles.Zip([("archive/version", "3\n"u8.ToArray())]);         // no pickle
    }

    private static void ReadStateDict(string path, byte[] bytes)
    {
        File.WriteAllBytes(path, bytes);
        try
        {
            using var scope = NewDisposeScope();
            using var source = StateDictSources.Open(path);
            foreach (var (name, _) in source.Shapes)
            {
                source.Read(name);
            }
        }
        catch (CheckpointFormatException e)
        {
            e.FilePath.Should().Be(path);
            throw;
        }
        catch (SafetensorsFormatException e)
        {
            e.FilePath.Should().Be(path);
            throw;
        }
    }
}
