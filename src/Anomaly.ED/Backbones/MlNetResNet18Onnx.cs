using Anomaly.ED.Data;
using Anomaly.ED.Formats.Onnx;
using Anomaly.ED.Formats;
using Anomaly.ED.Pretrained;
using static TorchSharp.torch;

namespace Anomaly.ED.Backbones;

/// <summary>
/// Imports the ImageNet ResNet18 of the NuGet package <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> (an ONNX graph
/// exported from CNTK, with anonymous initializer names) into torchvision's <c>resnet18</c> names, by walking the graph:
/// stem, then residual blocks recognised by their convolution, batch-norm, ReLU and Add nodes. Every initializer must
/// be mapped, and every node's attributes must be those of torchvision's layer, or the import fails naming the node.
/// The package's preprocessing (RGB to BGR, 0..255, minus a mean image, no std) is folded into <c>conv1</c> and
/// <c>bn1</c>, so the imported network takes torchvision-normalised input like every other backbone.
/// </summary>
/// <remarks>
/// The package's layer4 has three blocks (torchvision: two), so it is imported as <c>layer4.0</c> … <c>layer4.2</c>, which a
/// torchvision <c>resnet18</c> cannot hold: this source serves the stem and layer1 to layer3 only, and a network built with
/// layer4 is refused (<see cref="UsableStages"/>). The graph has no classifier. Its stride-2 convolutions and max pool pad
/// the top and left only; torchvision pads both sides, which gives the same result for even input sizes.
/// </remarks>
internal static class MlNetResNet18Onnx
{
    /// <summary>The deepest stage (layer1 … layer3) that a torchvision resnet18 can take from this source.</summary>
    public const int UsableStages = 3;

    /// <summary>The number of residual blocks per stage in the package's graph.</summary>
    public static IReadOnlyList<int> BlockCounts { get; } = [2, 2, 2, 3];

    private const double BatchNormEpsilon = 1e-5;

    /// <summary>Maps every initializer of the graph to its torchvision name (or <c>layer4.2.*</c> for the extra block).</summary>
    /// <param name="model">The parsed <c>ResNet18.onnx</c>.</param>
    /// <returns>torchvision name → initializer name, in graph order.</returns>
    /// <exception cref="CheckpointFormatException">The graph is not the package's ResNet18 layout; the message names the node at fault.</exception>
    public static IReadOnlyList<KeyValuePair<string, string>> MapInitializers(OnnxModelFile model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new GraphWalk(model).Run();
    }

    /// <summary>
    /// Reads the graph's weights under torchvision's names, with the preprocessing folded into the stem, as new CPU
    /// float32 tensors the caller owns.
    /// </summary>
    /// <param name="onnxPath">The package's <c>ResNet18Onnx/ResNet18.onnx</c>.</param>
    /// <param name="preprocessPath">The package's <c>ResNetPrepOnnx/ResNetPreprocess.onnx</c>; null for the one beside <paramref name="onnxPath"/> in the package layout.</param>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="CheckpointFormatException">A graph is not the package's layout.</exception>
    public static Dictionary<string, Tensor> Import(string onnxPath, string? preprocessPath = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(onnxPath);
        var model = OnnxModelFile.Open(onnxPath);
        preprocessPath ??= DefaultPreprocessPath(model.FilePath);
        using var meanImage = ReadMeanImage(preprocessPath);
        var mapping = MapInitializers(model);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, initializer) in mapping)
            {
                result.Add(name, model.ReadFloatTensor(initializer));
            }

            var (weight, runningMean) = (result["conv1.weight"].shape, result["bn1.running_mean"].shape);
            if (weight.Length != 4 || weight[1] != 3 || runningMean.Length != 1 || runningMean[0] != weight[0])
            {
                throw new CheckpointFormatException(model.FilePath, $"conv1's weight has the shape [{string.Join(", ", weight)}] and bn1's mean [{string.Join(", ", runningMean)}]; the preprocessing can only be folded into a (C, 3, k, k) convolution followed by a batch norm of C channels.");
            }

            FoldPreprocessing(result, meanImage);

            return result;
        }
        catch
        {
            foreach (var value in result.Values)
            {
                value.Dispose();
            }

            throw;
        }
    }

    /// <summary>The preprocessing model's path in the package layout, beside the ResNet18 folder.</summary>
    public static string DefaultPreprocessPath(string onnxPath)
        => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(onnxPath))!, "..", "ResNetPrepOnnx", "ResNetPreprocess.onnx"));

    /// <summary>
    /// Reads the mean image (1, 3, H, W), BGR, 0..255 of the preprocessing graph, after checking that the graph is
    /// exactly: split the RGB channels, concatenate them as BGR, subtract the mean image.
    /// </summary>
    public static Tensor ReadMeanImage(string preprocessPath)
    {
        if (!File.Exists(preprocessPath))
        {
            throw new FileNotFoundException(
                $"The ML.NET ResNet18 preprocessing model '{preprocessPath}' does not exist; it comes with ResNet18.onnx in the package {MlNetResNet18Package.PackageId} (folder DnnImageModels/ResNetPrepOnnx).",
                preprocessPath);
        }

        var model = OnnxModelFile.Open(preprocessPath);
        var nodes = model.Nodes;
        var ops = string.Join(", ", nodes.Select(n => n.OpType));
        if (nodes.Count != 3 || nodes[0].OpType != "Split" || nodes[1].OpType != "Concat" || nodes[2].OpType != "Sub"
            || nodes[1].Output.Count != 1 || !nodes[1].Input.SequenceEqual(nodes[0].Output.Reverse())
            || nodes[2].Input.Count != 2 || nodes[2].Input[0] != nodes[1].Output[0] || !model.IsInitializer(nodes[2].Input[1]))
        {
            throw new CheckpointFormatException(model.FilePath, $"the preprocessing graph ({ops}) is not 'split RGB, concatenate as BGR, subtract the mean image'.");
        }

        var shape = model.Shape(nodes[2].Input[1]);
        if (shape.Length != 4 || shape[0] != 1 || shape[1] != 3)
        {
            throw new CheckpointFormatException(model.FilePath, $"the mean image has shape [{string.Join(", ", shape)}], not [1, 3, H, W].");
        }

        return model.ReadFloatTensor(nodes[2].Input[1]);
    }

    /// <summary>
    /// Makes conv1 and bn1 take torchvision-normalised RGB input x instead of the package's BGR·255 − mean image:
    /// conv1's input channels are reversed and scaled by 255·std, and the constant part of the input,
    /// 255·mean − (average of the mean image), passes through conv1 into bn1's running mean.
    /// </summary>
    private static void FoldPreprocessing(Dictionary<string, Tensor> stateDict, Tensor meanImageBgr)
    {
        using var scope = NewDisposeScope();
        var weightBgr = stateDict["conv1.weight"].to_type(ScalarType.Float64);
        var weightRgb = weightBgr.flip(1);
        var std = tensor(PreprocessingDefaults.ImageNetStd.Select(v => (double)v).ToArray(), ScalarType.Float64).view(1, 3, 1, 1);
        var mean = tensor(PreprocessingDefaults.ImageNetMean.Select(v => (double)v).ToArray(), ScalarType.Float64);
        var meanImageRgb = meanImageBgr.to_type(ScalarType.Float64).mean([0, 2, 3]).flip(0);
        var offsetPerChannel = (mean * 255.0 - meanImageRgb).view(1, 3, 1, 1);
        var offset = (weightRgb * offsetPerChannel).sum([1, 2, 3]);

        var foldedWeight = (weightRgb * (std * 255.0)).to_type(ScalarType.Float32);
        var runningMean = stateDict["bn1.running_mean"];
        var foldedMean = (runningMean.to_type(ScalarType.Float64) - offset).to_type(ScalarType.Float32);

        stateDict["conv1.weight"].Dispose();
        stateDict["conv1.weight"] = foldedWeight.MoveToOuterDisposeScope();
        runningMean.Dispose();
        stateDict["bn1.running_mean"] = foldedMean.MoveToOuterDisposeScope();
    }

    /// <summary>One pass over the graph from its input to its final pooling.</summary>
    private sealed class GraphWalk
    {
        private readonly OnnxModelFile model;
        private readonly Dictionary<string, List<NodeProto>> consumers = new(StringComparer.Ordinal);
        private readonly List<KeyValuePair<string, string>> mapping = [];

        public GraphWalk(OnnxModelFile model)
        {
            this.model = model;
            foreach (var node in model.Nodes)
            {
                foreach (var input in node.Input)
                {
                    if (!consumers.TryGetValue(input, out var list))
                    {
                        consumers[input] = list = [];
                    }

                    list.Add(node);
                }
            }
        }

        public List<KeyValuePair<string, string>> Run()
        {
            var graphInputs = model.Model.Graph.Input.Select(i => i.Name).Where(n => !model.IsInitializer(n)).ToList();
            if (graphInputs.Count != 1)
            {
                throw Fail($"the graph has {graphInputs.Count} data inputs ({string.Join(", ", graphInputs)}); ResNet18 has one image input");
            }

            var conv1 = Single(graphInputs[0], "Conv", "the image input");
            Convolution(conv1, "conv1", kernel: 7, stride: 2);
            var bn1 = Single(Out(conv1), "BatchNormalization", "conv1");
            BatchNorm(bn1, "bn1");
            var relu = Single(Out(bn1), "Relu", "bn1");
            var pool = Single(Out(relu), "MaxPool", "the stem's ReLU");
            CheckWindow(pool, kernel: 3, stride: 2, "the stem's max pool");

            var x = Out(pool);
            var counts = new List<int> { 0 };
            while (true)
            {
                var next = Consumers(x);
                if (next.Count == 1 && next[0].OpType is "AveragePool" or "GlobalAveragePool")
                {
                    break;
                }

                var convolutions = next.Where(n => n.OpType == "Conv").ToList();
                var downsample = convolutions.SingleOrDefault(n => Ints(n, "kernel_shape").SequenceEqual([1L, 1L]));
                var main = convolutions.Where(n => !ReferenceEquals(n, downsample)).ToList();
                if (main.Count != 1)
                {
                    throw Fail($"the tensor '{x}' feeds {string.Join(", ", next.Select(Describe))}; a residual block starts with one 3x3 convolution (and, when it downsamples, one 1x1 convolution)");
                }

                if (downsample is not null)
                {
                    counts.Add(0);
                }

                // A hostile graph may loop back on itself; ResNet18 has a fixed number of blocks.
                if (counts.Count > BlockCounts.Count || counts.Sum() >= BlockCounts.Sum())
                {
                    throw Fail($"it continues past the {BlockCounts.Sum()} residual blocks of ResNet18 at the tensor '{x}'");
                }

                var prefix = $"layer{counts.Count}.{counts[^1]}.";
                x = Block(x, main[0], downsample, prefix);
                counts[^1]++;
            }

            if (!counts.SequenceEqual(BlockCounts))
            {
                throw Fail($"its stages have [{string.Join(", ", counts)}] residual blocks; the package's ResNet18 has [{string.Join(", ", BlockCounts)}]");
            }

            var mapped = mapping.Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
            var unmapped = model.InitializerNames.Where(n => !mapped.Contains(n)).ToList();
            if (unmapped.Count > 0)
            {
                throw Fail($"{unmapped.Count} initializer(s) are not part of the recognised ResNet18 layers: {string.Join(", ", unmapped)}");
            }

            return mapping;
        }

        private string Block(string input, NodeProto conv1, NodeProto? downsample, string prefix)
        {
            var stride = downsample is null ? 1 : 2;
            Convolution(conv1, prefix + "conv1", kernel: 3, stride);
            var bn1 = Single(Out(conv1), "BatchNormalization", prefix + "conv1");
            BatchNorm(bn1, prefix + "bn1");
            var relu = Single(Out(bn1), "Relu", prefix + "bn1");
            var conv2 = Single(Out(relu), "Conv", prefix + "relu");
            Convolution(conv2, prefix + "conv2", kernel: 3, stride: 1);
            var bn2 = Single(Out(conv2), "BatchNormalization", prefix + "conv2");
            BatchNorm(bn2, prefix + "bn2");
            var add = Single(Out(bn2), "Add", prefix + "bn2");

            string shortcut;
            if (downsample is null)
            {
                shortcut = input;
                if (Consumers(input).Count != 2)
                {
                    throw Fail($"the input of block {prefix.TrimEnd('.')} ('{input}') feeds {Consumers(input).Count} nodes; an identity block feeds its conv1 and its Add");
                }
            }
            else
            {
                Convolution(downsample, prefix + "downsample.0", kernel: 1, stride: 2);
                var downsampleNorm = Single(Out(downsample), "BatchNormalization", prefix + "downsample.0");
                BatchNorm(downsampleNorm, prefix + "downsample.1");
                shortcut = Out(downsampleNorm);
            }

            if (add.Input.Count != 2 || !add.Input.Contains(shortcut) || !add.Input.Contains(Out(bn2)))
            {
                throw Fail($"{Describe(add)} of block {prefix.TrimEnd('.')} adds [{string.Join(", ", add.Input)}], not its bn2 output and its shortcut '{shortcut}'");
            }

            return Out(Single(Out(add), "Relu", prefix + "add"));
        }

        private void Convolution(NodeProto node, string name, int kernel, int stride)
        {
            if (node.Input.Count != 2)
            {
                throw Fail($"{Describe(node)} ({name}) has {node.Input.Count} inputs; torchvision's convolutions have a weight and no bias");
            }

            if (!model.IsInitializer(node.Input[1]))
            {
                throw Fail($"{Describe(node)} ({name}) takes its weight '{node.Input[1]}' from another node, not from an initializer");
            }

            CheckWindow(node, kernel, stride, name);
            if (Int(node, "group", 1) != 1 || Ints(node, "dilations").Any(d => d != 1))
            {
                throw Fail($"{Describe(node)} ({name}) is grouped or dilated; torchvision's ResNet convolutions are neither");
            }

            mapping.Add(new(name + ".weight", node.Input[1]));
        }

        private void BatchNorm(NodeProto node, string name)
        {
            if (node.Input.Count != 5 || node.Input.Skip(1).Any(i => !model.IsInitializer(i)))
            {
                throw Fail($"{Describe(node)} ({name}) does not take scale, bias, mean and variance initializers");
            }

            var epsilon = Float(node, "epsilon", 1e-5f);
            if (Math.Abs(epsilon - BatchNormEpsilon) > 1e-9)
            {
                throw Fail($"{Describe(node)} ({name}) has epsilon {epsilon}; torchvision's BatchNorm2d uses {BatchNormEpsilon}");
            }

            if (Int(node, "spatial", 1) != 1)
            {
                throw Fail($"{Describe(node)} ({name}) is not a spatial (per-channel) batch norm");
            }

            mapping.Add(new(name + ".weight", node.Input[1]));
            mapping.Add(new(name + ".bias", node.Input[2]));
            mapping.Add(new(name + ".running_mean", node.Input[3]));
            mapping.Add(new(name + ".running_var", node.Input[4]));
        }

        /// <summary>
        /// Checks kernel, stride and padding: torchvision pads (kernel − 1) / 2 on every side; the package's stride-2
        /// windows may pad one less at the bottom and right, which is equal for even input sizes.
        /// </summary>
        private void CheckWindow(NodeProto node, int kernel, int stride, string name)
        {
            var autoPad = Attribute(node, "auto_pad")?.S.ToStringUtf8() ?? "NOTSET";
            var kernelShape = Ints(node, "kernel_shape");
            var strides = Ints(node, "strides");
            var pads = Ints(node, "pads");
            var pad = (kernel - 1) / 2;
            long[] symmetric = [pad, pad, pad, pad];
            long[] topLeft = [pad, pad, Math.Max(0, pad - 1), Math.Max(0, pad - 1)];
            var padsOk = pads.SequenceEqual(symmetric) || (stride == 2 && pads.SequenceEqual(topLeft)) || (pad == 0 && pads.Length == 0);
            if (autoPad != "NOTSET" || !kernelShape.SequenceEqual([kernel, kernel]) || !strides.SequenceEqual([stride, stride]) || !padsOk)
            {
                throw Fail(
                    $"{Describe(node)} ({name}) has kernel [{string.Join(", ", kernelShape)}], strides [{string.Join(", ", strides)}], pads [{string.Join(", ", pads)}], auto_pad {autoPad}; "
                    + $"expected kernel {kernel}x{kernel}, stride {stride}, padding {pad}");
            }
        }

        private string Out(NodeProto node) => node.Output.Count > 0 ? node.Output[0] : throw Fail($"{Describe(node)} has no output");

        private List<NodeProto> Consumers(string tensor) => consumers.TryGetValue(tensor, out var list) ? list : [];

        private NodeProto Single(string tensor, string opType, string after)
        {
            var next = Consumers(tensor);
            if (next.Count != 1 || next[0].OpType != opType)
            {
                var found = next.Count == 0 ? "nothing" : string.Join(", ", next.Select(Describe));
                throw Fail($"the output of {after} ('{tensor}') feeds {found}; expected one {opType}");
            }

            return next[0];
        }

        private CheckpointFormatException Fail(string problem)
            => new(model.FilePath, $"it is not the ResNet18 graph of {MlNetResNet18Package.PackageId}: {problem}.");

        private static string Describe(NodeProto node) => $"{node.OpType} node '{(node.Name.Length > 0 ? node.Name : node.Output.FirstOrDefault())}'";

        private static AttributeProto? Attribute(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);

        private static long[] Ints(NodeProto node, string name) => Attribute(node, name) is { } a ? [.. a.Ints] : [];

        private static long Int(NodeProto node, string name, long fallback) => Attribute(node, name) is { } a ? a.I : fallback;

        private static float Float(NodeProto node, string name, float fallback) => Attribute(node, name) is { } a ? a.F : fallback;
    }
}
