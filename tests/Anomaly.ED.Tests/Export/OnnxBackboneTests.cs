using Anomaly.ED.Backbones;
using Anomaly.ED.Data;
using Anomaly.ED.Export;
using Anomaly.ED.Formats.Onnx;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;
using static TorchSharp.torch;
using DataType = Anomaly.ED.Formats.Onnx.TensorProto.Types.DataType;

namespace Anomaly.ED.Tests.Export;

/// <summary>The exported image normalisation and ResNet (batch norm folded) equal the TorchSharp transform and extractor.</summary>
public sealed class OnnxBackboneTests(ITestOutputHelper log)
{
    private const int Size = 64;

    [Theory]
    [InlineData(false, false, new[] { "stem", "layer2", "layer3" })]
    [InlineData(true, true, new[] { "layer1", "layer2", "layer3" })]
    [InlineData(true, false, new[] { "layer4" })]
    public void StagesEqualTheExtractorOnTheSameImages(bool bottleneck, bool preRelu, string[] stages)
    {
        var activation = preRelu ? FeatureActivation.PreRelu : FeatureActivation.PostRelu;
        var architecture = !bottleneck
            ? BackboneCatalog.Get("resnet18")
            : new ResNetArchitecture("tiny_bottleneck", ResNetBlockKind.Bottleneck, [1, 2, 1, 1]);
        using var extractor = new ResNetFeatureExtractor(architecture, stages, activation);
        RandomiseBatchNorms(extractor, seed: 3);
        var transform = new ImageTransform(new ImageTransformOptions { ResizeHeight = Size, ResizeWidth = Size, Std = [0.229f, 0.256f, 0.225f] });
        var images = OnnxTestRun.RandomImages(2, Size, Size, seed: 9);

        var graph = new OnnxGraphBuilder("backbone");
        var features = OnnxBackbone.AddFeatures(graph, extractor, OnnxBackbone.AddImageInput(graph, Size, Size, transform.Options));
        for (var i = 0; i < features.Count; i++)
        {
            var stage = extractor.Stages[i];
            graph.Output(features[i], stage.Name, DataType.Float, OnnxBackbone.BatchDimension, stage.Channels, stage.OutputSize(Size), stage.OutputSize(Size));
        }

        using var session = new InferenceSession(graph.ToModel([]).ToByteArray());
        var actual = OnnxTestRun.Run(session, images);

        using var scope = NewDisposeScope();
        using var expected = extractor.Extract(stack(images.Select(transform.TransformImage).ToArray()));
        for (var i = 0; i < features.Count; i++)
        {
            var reference = expected[i].contiguous().data<float>().ToArray();
            var values = (float[])actual[extractor.Stages[i].Name];
            values.Should().HaveCount(reference.Length);
            var worst = values.Zip(reference, (a, b) => Math.Abs(a - b)).Max();
            var range = reference.Max() - reference.Min();
            log.WriteLine($"{architecture.Name} {activation} {extractor.Stages[i].Name}: max |diff| = {worst:E2}, range {range:E2}, relative {worst / range:E2}");
            (worst / range).Should().BeLessThan(1e-5f, extractor.Stages[i].Name);
        }
    }

    // Untrained batch norms are identities up to eps; random statistics and affine parameters make the fold matter.
    internal static void RandomiseBatchNorms(ResNetFeatureExtractor extractor, int seed)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var generator = new TorchSharp.torch.Generator((ulong)seed);
        foreach (var (name, tensor) in extractor.NamedWeights())
        {
            if (name.EndsWith("running_mean", StringComparison.Ordinal) || name.Contains(".bias", StringComparison.Ordinal))
            {
                tensor.copy_(rand(tensor.shape, generator: generator) - 0.5);
            }
            else if (name.EndsWith("running_var", StringComparison.Ordinal) || (name.Contains("bn", StringComparison.Ordinal) && name.EndsWith(".weight", StringComparison.Ordinal)))
            {
                tensor.copy_(rand(tensor.shape, generator: generator) + 0.5);
            }
        }
    }
}
