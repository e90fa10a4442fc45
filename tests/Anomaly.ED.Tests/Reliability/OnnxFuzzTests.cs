using Anomaly.ED.Backbones;
using Anomaly.ED.Formats.Onnx;
using Anomaly.ED.Formats;
using Anomaly.ED.Tests.Data;
using Google.Protobuf;
using Xunit.Abstractions;

namespace Anomaly.ED.Tests.Reliability;

/// <summary>
/// The ONNX reader and ML.NET ResNet18 importer under hostile bytes and hostile graphs: every case imports or ends in
/// <see cref="CheckpointFormatException"/> naming the file at fault, without a crash, hang (a graph that loops back on
/// itself) or allocation out of proportion to the file. The seeds (<c>Seeds/ResNet18Onnx</c>, <c>Seeds/ResNetPrepOnnx</c>)
/// have the package's layout with 2 channels; <c>Seeds/make_weight_seeds.py</c> made them.
/// </summary>
public sealed class OnnxFuzzTests(ITestOutputHelper output)
{
    private static readonly string SeedFolder = Path.Combine(AppContext.BaseDirectory, "Reliability", "Seeds");

    [Fact]
    public void MutatedGraphsImportOrAreRefusedWithTheDocumentedException()
    {
        using var folder = new TempDirectory();
        var network = File.ReadAllBytes(Path.Combine(SeedFolder, "ResNet18Onnx", "ResNet18.onnx"));
        var preprocess = File.ReadAllBytes(Path.Combine(SeedFolder, "ResNetPrepOnnx", "ResNetPreprocess.onnx"));
        var networkPath = folder.Write("ResNet18Onnx/ResNet18.onnx", network);
        var preprocessPath = folder.Write("ResNetPrepOnnx/ResNetPreprocess.onnx", preprocess);
        var seedImport = MlNetResNet18Onnx.Import(networkPath);
        seedImport.Should().HaveCount(110, "the seed has the package's 110 initializers, and every one is mapped");
        foreach (var tensor in seedImport.Values)
        {
            tensor.Dispose();
        }

        var fuzzer = new MutationFuzzer(1315);
        var random = new Random(1316);
        var inputs = SafetensorsFuzzTests.Regressions("onnx")
            .Concat(HostileGraphs(network).Select(g => MutationFuzzer.Tagged(0, g)))
            .Concat(MutationFuzzer.Truncations(network, Enumerable.Range(0, 16).Select(i => network.Length * i / 16)).Select(t => MutationFuzzer.Tagged(0, t)))
            .Concat(Enumerable.Range(0, int.MaxValue).Select(i => (i % 4) switch
            {
                0 => MutationFuzzer.Tagged(1, fuzzer.Mutate(preprocess, preprocess.Length)),
                1 => MutationFuzzer.Tagged(0, EditGraph(network, random)),
                _ => MutationFuzzer.Tagged(0, fuzzer.Mutate(network, network.Length)),
            }));

        var report = MutationFuzzer.Run(
            "onnx",
            inputs,
            input => Import(input, networkPath, preprocessPath, network, preprocess),
            [typeof(CheckpointFormatException)],
            MutationFuzzer.Budget(6),
            MutationFuzzer.MaxCases(20_000),
            PyTorchCheckpointFuzzTests.AllocationLimit);

        output.WriteLine(report.ToString());
        report.Findings.Should().BeEmpty(report.ToString());
        report.Cases.Should().BeGreaterThan(300);
        report.Accepted.Should().BeGreaterThan(0);
        report.Rejected.Should().BeGreaterThan(0);
    }

    [Fact]
    public void TheTinySeedIsRefusedByAFullSizeResNet18WithTheMismatchListed()
    {
        using var folder = new TempDirectory();
        var path = folder.Write("ResNet18Onnx/ResNet18.onnx", File.ReadAllBytes(Path.Combine(SeedFolder, "ResNet18Onnx", "ResNet18.onnx")));
        folder.Write("ResNetPrepOnnx/ResNetPreprocess.onnx", File.ReadAllBytes(Path.Combine(SeedFolder, "ResNetPrepOnnx", "ResNetPreprocess.onnx")));
        using var network = new ResNet(BackboneCatalog.Get("resnet18"), stageCount: 1, includeClassifier: false);

        var load = () => network.LoadWeights(path);

        load.Should().Throw<StateDictMismatchException>().Which.ShapeMismatches.Should().Contain(m => m.StartsWith("conv1.weight: expected [64, 3, 7, 7], got [2, 3, 7, 7]", StringComparison.Ordinal));
    }

    private static void Import(byte[] input, string networkPath, string preprocessPath, byte[] network, byte[] preprocess)
    {
        // Tag 0: the rest is the network graph; tag 1: the preprocessing graph.
        var replacesPreprocess = input.Length > 0 && input[0] == 1;
        File.WriteAllBytes(networkPath, replacesPreprocess || input.Length == 0 ? network : input[1..]);
        File.WriteAllBytes(preprocessPath, replacesPreprocess ? input[1..] : preprocess);
        try
        {
            foreach (var tensor in MlNetResNet18Onnx.Import(networkPath).Values)
            {
                tensor.Dispose();
            }
        }
        catch (CheckpointFormatException e)
        {
            e.FilePath.Should().BeOneOf(networkPath, preprocessPath);
            throw;
        }
    }

    /// <summary>One random structural edit of the graph: a node's inputs, outputs, type or attributes, or an initializer's shape, type or data.</summary>
    private static byte[] EditGraph(byte[] seed, Random random)
    {
        var model = ModelProto.Parser.ParseFrom(seed);
        var graph = model.Graph;
        var node = graph.Node[random.Next(graph.Node.Count)];
        var initializer = graph.Initializer[random.Next(graph.Initializer.Count)];
        long[] extremes = [-1, 0, 1, 3, int.MaxValue, 1L << 40, long.MaxValue, long.MinValue];
        switch (random.Next(12))
        {
            case 0:
                node.Output.Clear();
                break;
            case 1:
                node.Input.Clear();
                break;
            case 2:
                node.Input.Add(graph.Node[random.Next(graph.Node.Count)].Output.FirstOrDefault() ?? "x");
                break;
            case 3:
                // Loops back: a node's input becomes a later node's output.
                node.Input[0] = graph.Node[random.Next(graph.Node.Count)].Output.FirstOrDefault() ?? "x";
                break;
            case 4:
                node.OpType = new[] { "Conv", "Relu", "Add", "MaxPool", "BatchNormalization", "Gemm", string.Empty }[random.Next(7)];
                break;
            case 5:
                foreach (var attribute in node.Attribute.Where(a => a.Ints.Count > 0))
                {
                    attribute.Ints[random.Next(attribute.Ints.Count)] = extremes[random.Next(extremes.Length)];
                }

                break;
            case 6:
                initializer.Dims[random.Next(initializer.Dims.Count)] = extremes[random.Next(extremes.Length)];
                break;
            case 7:
                initializer.DataType = random.Next(-2, 20);
                break;
            case 8:
                initializer.RawData = ByteString.CopyFrom(new byte[random.Next(0, 64) * 4]);
                initializer.FloatData.Clear();
                break;
            case 9:
                initializer.DataLocation = TensorProto.Types.DataLocation.External;
                break;
            case 10:
                graph.Initializer.Add(initializer.Clone());
                break;
            default:
                initializer.Dims.Add(extremes[random.Next(extremes.Length)]);
                break;
        }

        return model.ToByteArray();
    }

    private static IEnumerable<byte[]> HostileGraphs(byte[] seed)
    {
        ModelProto Model() => ModelProto.Parser.ParseFrom(seed);

        var cycle = Model();
        var last = cycle.Graph.Node.Last(n => n.OpType == "Relu");
        cycle.Graph.Node.Single(n => n.Name == "l1b0c1").Input[0] = last.Output[0];
        cycle.Graph.Node.Single(n => n.Name == "l1b0add").Input[1] = last.Output[0];
        yield return cycle.ToByteArray();

        // The second block's output renamed to the stem's: the walk arrives back at the first block, again and again.
        var loop = Model();
        loop.Graph.Node.Single(n => n.Name == "l1b1out").Output[0] = "pool1";
        yield return loop.ToByteArray();

        var negative = Model();
        negative.Graph.Initializer[0].Dims[0] = -2;
        negative.Graph.Initializer[0].Dims[1] = -147;
        yield return negative.ToByteArray();

        var overflow = Model();
        overflow.Graph.Initializer[0].Dims.Clear();
        overflow.Graph.Initializer[0].Dims.AddRange([1L << 32, 1L << 32, 1L << 32, 1L << 32]);
        yield return overflow.ToByteArray();

        var noGraph = Model();
        noGraph.Graph = null;
        yield return noGraph.ToByteArray();

        var deep = new byte[40_000];
        for (var i = 0; i < deep.Length; i += 2)
        {
            (deep[i], deep[i + 1]) = (0x3a, 0xff);   // graph (field 7, length-delimited) nested again and again
        }

        yield return deep;
        yield return [0x3a, 0xff, 0xff, 0xff, 0xff, 0x07];   // a graph of 2 GiB declared, none present
    }
}
