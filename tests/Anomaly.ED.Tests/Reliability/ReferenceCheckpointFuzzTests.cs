using Anomaly.ED.Formats;
using Anomaly.ED.Tests.Data;
using Xunit.Abstractions;

namespace Anomaly.ED.Tests.Reliability;

/// <summary>
/// <see cref="EdDetector.ImportReferenceCheckpoint"/> under hostile checkpoints and reference-feature pickles: every
/// case imports or ends in one of its documented exceptions (<see cref="CheckpointFormatException"/> naming the file,
/// <see cref="StateDictMismatchException"/>), and a refused import leaves the detector unfitted.
/// </summary>
public sealed class ReferenceCheckpointFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void MutatedReferenceFilesImportOrAreRefusedWithTheDocumentedException()
    {
        using var folder = new TempDirectory();
        var checkpoint = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Formats", "Data", "ed_tiny-pix.pth"));
        var features = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Reliability", "Seeds", "reference_features_32.pkl"));
        var checkpointPath = Path.Combine(folder.Path, "case-pix.pth");
        var featuresPath = Path.Combine(folder.Path, "case.pkl");

        // The reference checkpoint's networks (resnet18 layer2 + layer3, d_model 32, 2 heads, 1 layer) at 32 x 32.
        using var detector = new EdDetectorBuilder()
            .WithBackbone("resnet18")
            .WithUntrainedBackbone()
            .WithImageSize(32)
            .WithLevels(["layer2", "layer3"], [32, 32])
            .WithNetwork(heads: 2, layers: 1)
            .Build();
        var fuzzer = new MutationFuzzer(1617);
        var inputs = SafetensorsFuzzTests.Regressions("reference")
            .Concat([MutationFuzzer.Tagged(0, checkpoint)])
            .Concat(HostileFeatures().Select(f => MutationFuzzer.Tagged(1, f)))
            .Concat(MutationFuzzer.Truncations(features, Enumerable.Range(0, 16).Select(i => features.Length * i / 16)).Select(t => MutationFuzzer.Tagged(1, t)))
            .Concat(Enumerable.Range(0, int.MaxValue).Select(i => i % 2 == 0
                ? MutationFuzzer.Tagged(1, fuzzer.Mutate(features, features.Length))
                : MutationFuzzer.Tagged(0, PyTorchCheckpointFuzzTests.Mutate(fuzzer, checkpoint, i))));

        var report = MutationFuzzer.Run(
            "reference",
            inputs,
            input => Import(detector, input, checkpointPath, featuresPath, checkpoint, features),
            [typeof(CheckpointFormatException), typeof(StateDictMismatchException)],
            MutationFuzzer.Budget(5),
            MutationFuzzer.MaxCases(5_000),
            PyTorchCheckpointFuzzTests.AllocationLimit);

        output.WriteLine(report.ToString());
        report.Findings.Should().BeEmpty(report.ToString());
        report.Cases.Should().BeGreaterThan(50);
        report.Accepted.Should().BeGreaterThan(0, "the seeds, and mutations of their numbers, import");
        report.Rejected.Should().BeGreaterThan(0);
    }

    private static void Import(EdDetector detector, byte[] input, string checkpointPath, string featuresPath, byte[] checkpoint, byte[] features)
    {
        // Tag 0: the rest is the checkpoint; tag 1: the reference features.
        var replacesFeatures = input.Length > 0 && input[0] == 1;
        File.WriteAllBytes(checkpointPath, replacesFeatures || input.Length == 0 ? checkpoint : input[1..]);
        File.WriteAllBytes(featuresPath, replacesFeatures ? input[1..] : features);
        try
        {
            detector.ImportReferenceCheckpoint(checkpointPath, featuresPath);
        }
        catch (CheckpointFormatException e)
        {
            e.FilePath.Should().BeOneOf(checkpointPath, featuresPath);
            throw;
        }
    }

    // Reference-feature pickles a mutation would rarely reach: numpy arrays of hostile shapes, types and sizes.
    private static IEnumerable<byte[]> HostileFeatures()
    {
        static byte[] Array(long[] shape, string dtype, byte[] data, string order = "<") => HostilePickles.Pickle(
        [
            (byte)'}', .. HostilePickles.Str("layer1"),
            .. "cnumpy.core.multiarray\n_reconstruct\n"u8, .. "cnumpy\nndarray\n"u8, .. HostilePickles.Ints(0), .. HostilePickles.Str("b"), (byte)'\x87', (byte)'R',
            (byte)'(', .. HostilePickles.Int(1), .. HostilePickles.Ints(shape),
            .. "cnumpy\ndtype\n"u8, .. HostilePickles.Str(dtype), 0x89, 0x88, (byte)'\x87', (byte)'R',
            (byte)'(', .. HostilePickles.Int(3), .. HostilePickles.Str(order), (byte)'N', (byte)'N', (byte)'N', .. HostilePickles.Int(-1), .. HostilePickles.Int(-1), .. HostilePickles.Int(0), (byte)'t', (byte)'b',
            0x89, (byte)'C', (byte)data.Length, .. data, (byte)'t', (byte)'b', (byte)'s',
        ]);

        yield return Array([-4, -1], "f4", new byte[16]);                          // negative dimensions whose product fits the data
        yield return Array([1L << 62, 4], "f4", new byte[16]);                     // an overflowing product
        yield return Array([long.MinValue, -1], "f4", new byte[16]);
        yield return Array([2, 2], "f4", new byte[15]);                            // bytes that do not fit the shape
        yield return Array([2, 2], "f4", new byte[16], ">");                       // big-endian
        yield return Array([2, 2], "c16", new byte[64]);                           // complex
        yield return Array([2, 2], "O", new byte[16]);                             // Python objects
        yield return Array([128, 0], "f4", []);                                    // an empty array
        foreach (var root in HostilePickles.HostileRoots())
        {
            yield return root;
        }
    }
}
