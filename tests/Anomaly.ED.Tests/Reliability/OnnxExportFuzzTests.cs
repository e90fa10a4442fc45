using Anomaly.ED.Data;
using Anomaly.ED.Evaluation;
using Anomaly.ED.Formats.Onnx;
using Anomaly.ED.ModelFiles;
using Anomaly.ED.OnnxRuntime;
using Anomaly.ED.Tests.Data;
using Google.Protobuf;
using Xunit.Abstractions;

namespace Anomaly.ED.Tests.Reliability;

/// <summary>
/// <see cref="OnnxDetector"/> under hostile exported files: truncations, byte mutations and edited metadata and interface
/// of a tiny ED export either load and predict or end in <see cref="ModelFileException"/> naming the file, never another
/// exception, a crash or a hang.
/// </summary>
public sealed class OnnxExportFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void MutatedExportsLoadOrAreRefusedWithTheDocumentedException()
    {
        using var folder = new TempDirectory();
        var data = folder.Combine("data");
        SyntheticDefectDataset.Generate(data, size: 32, trainCount: 2, testNormalCount: 0, testDefectsPerType: 0, seed: 5);
        var seedPath = folder.Combine("seed.onnx");
        using (var detector = new EdDetectorBuilder().WithBackbone("resnet18").WithUntrainedBackbone().WithImageSize(32)
            .WithLevels(["layer1"], [16]).WithNetwork(heads: 2, layers: 1, feedForwardScale: 1).WithEpochs(1).WithBatchSize(2).WithSeed(1).Build())
        {
            detector.Fit(SyntheticDefectDataset.OpenTraining(data));
            detector.SetCalibration(new Calibration(0.5, new ScoreNormalization(0.5, 0, 1)));
            detector.ExportOnnx(seedPath);
        }

        var seed = File.ReadAllBytes(seedPath);
        var image = File.ReadAllBytes(SyntheticDefectDataset.OpenTraining(data).Items[0].ImagePath);
        var path = folder.Combine("fuzzed.onnx");
        var fuzzer = new MutationFuzzer(2101);
        var random = new Random(2102);
        var inputs = MutationFuzzer.Truncations(seed, Enumerable.Range(0, 12).Select(i => seed.Length * i / 12))
            .Concat(Enumerable.Range(0, int.MaxValue).Select(i => i % 2 == 0 ? EditInterface(seed, random) : fuzzer.Mutate(seed, Math.Min(seed.Length, 4096))));

        var report = MutationFuzzer.Run(
            "onnx-export",
            inputs,
            bytes =>
            {
                File.WriteAllBytes(path, bytes);
                try
                {
                    using var loaded = OnnxDetector.Load(path);
                    loaded.Predict(image);
                }
                catch (ModelFileException e)
                {
                    e.FilePath.Should().Be(path);
                    throw;
                }
            },
            [typeof(ModelFileException)],
            MutationFuzzer.Budget(5),
            MutationFuzzer.MaxCases(5_000));

        output.WriteLine(report.ToString());
        report.Findings.Should().BeEmpty(report.ToString());
        report.Cases.Should().BeGreaterThan(20);
        report.Accepted.Should().BeGreaterThan(0);
        report.Rejected.Should().BeGreaterThan(0);
    }

    // One random edit of what the reader checks: a metadata value, an input's or output's type or shape, or an output removed.
    private static byte[] EditInterface(byte[] seed, Random random)
    {
        var model = ModelProto.Parser.ParseFrom(seed);
        string[] values = ["", "0", "-1", "2", "64", "2147483648", "Ed", "Hetmm", "{}", "null", "[1,2]", "{\"Threshold\":\"x\"}", "anomaly-ed-onnx", "\u0000"];
        var tensors = model.Graph.Input.Concat(model.Graph.Output).ToArray();
        var tensor = tensors[random.Next(tensors.Length)];
        var dims = tensor.Type.TensorType.Shape.Dim;
        switch (random.Next(5))
        {
            case 0:
            case 1:
                model.MetadataProps[random.Next(model.MetadataProps.Count)].Value = values[random.Next(values.Length)];
                break;
            case 2:
                model.MetadataProps.RemoveAt(random.Next(model.MetadataProps.Count));
                break;
            case 3:
                tensor.Type.TensorType.ElemType = random.Next(0, 17);
                break;
            default:
                if (dims.Count > 0)
                {
                    dims[random.Next(dims.Count)].DimValue = new long[] { 0, 1, 3, 31, 33, 1 << 20 }[random.Next(6)];
                }
                else
                {
                    model.Graph.Output.Remove(model.Graph.Output[random.Next(model.Graph.Output.Count)]);
                }

                break;
        }

        return model.ToByteArray();
    }
}
