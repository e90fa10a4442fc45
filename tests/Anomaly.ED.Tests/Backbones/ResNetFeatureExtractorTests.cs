using Anomaly.ED.Backbones;
using Anomaly.ED.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Backbones;

public sealed class ResNetFeatureExtractorTests
{
    [Fact]
    public void ReturnsRequestedStagesShallowToDeepWithReportedSizes()
    {
        using var extractor = ResNetFeatureExtractor.Create("resnet18", ["layer3", "layer1"]);
        using var scope = NewDisposeScope();

        using var maps = extractor.Extract(randn(2, 3, 64, 48));

        extractor.Stages.Should().Equal(new FeatureStage("layer1", 64, 4), new FeatureStage("layer3", 256, 16));
        maps.Count.Should().Be(2);
        maps["layer1"].shape.Should().Equal(2, 64, 16, 12);
        maps["layer3"].shape.Should().Equal(2, 256, 4, 3);
        maps[1].Should().BeSameAs(maps["layer3"]);
        var missing = () => maps["layer2"];
        missing.Should().Throw<KeyNotFoundException>().WithMessage("*layer2*layer1, layer3*");
    }

    [Fact]
    public void BuildsOnlyUpToTheDeepestRequestedStage()
    {
        using var extractor = ResNetFeatureExtractor.Create("wide_resnet50_2", ["layer2"]);

        var names = extractor.Network.OrderedStateDict().Select(e => e.Key).ToList();

        names.Should().Contain("layer2.3.bn3.running_var");
        names.Should().NotContain(n => n.StartsWith("layer3.", StringComparison.Ordinal) || n.StartsWith("layer4.", StringComparison.Ordinal) || n.StartsWith("fc.", StringComparison.Ordinal));
        extractor.Network.StageCount.Should().Be(2);
    }

    [Fact]
    public void PreReluOutputsAreTheResidualSumsOfThePostReluOnes()
    {
        using var post = ResNetFeatureExtractor.Create("resnet18", ["stem", "layer1", "layer2", "layer3"]);
        using var pre = ResNetFeatureExtractor.Create("resnet18", ["stem", "layer1", "layer2", "layer3"], FeatureActivation.PreRelu);
        DeterministicFill.Apply(post.Network);
        DeterministicFill.Apply(pre.Network);
        using var scope = NewDisposeScope();
        var x = randn(1, 3, 32, 32);

        using var postMaps = post.Extract(x);
        using var preMaps = pre.Extract(x);

        TensorAssert.Equal(preMaps["stem"], postMaps["stem"], "stem");
        foreach (var stage in new[] { "layer1", "layer2", "layer3" })
        {
            (preMaps[stage].lt(0).sum().item<long>() > 0).Should().BeTrue($"{stage} before ReLU has negative values");
            TensorAssert.Equal(preMaps[stage].relu(), postMaps[stage], stage);
        }
    }

    [Fact]
    public void OutputsCarryNoGradientAndNetworkIsInEvalMode()
    {
        using var extractor = ResNetFeatureExtractor.Create("resnet18", ["layer1"]);
        using var scope = NewDisposeScope();
        var x = randn(1, 3, 16, 16).requires_grad_();

        using var maps = extractor.Extract(x);

        maps[0].requires_grad.Should().BeFalse();
        extractor.Network.training.Should().BeFalse();
        extractor.Device.type.Should().Be(DeviceType.CPU);
        extractor.to(CPU).Should().BeSameAs(extractor);
    }

    [Theory]
    [InlineData(new[] { "layer5" }, "*layer5*stem, layer1, layer2, layer3, layer4*")]
    [InlineData(new[] { "layer1", "layer1" }, "*layer1*twice*")]
    [InlineData(new string[0], "*at least one stage*")]
    public void RejectsBadStageLists(string[] stages, string message)
    {
        var create = () => ResNetFeatureExtractor.Create("resnet18", stages);

        create.Should().Throw<ArgumentException>().WithMessage(message).Which.ParamName.Should().Be("stages");
    }

    [Fact]
    public void RejectsInputsThatAreNotFloatImageBatches()
    {
        using var extractor = ResNetFeatureExtractor.Create("resnet18", ["layer1"]);
        using var scope = NewDisposeScope();

        var wrongChannels = () => extractor.Extract(zeros(1, 1, 16, 16));
        var wrongRank = () => extractor.Extract(zeros(3, 16, 16));
        var wrongType = () => extractor.Extract(zeros(new long[] { 1, 3, 16, 16 }, ScalarType.Float64));

        wrongChannels.Should().Throw<ArgumentException>().WithMessage("*(B, 3, H, W)*(1, 1, 16, 16)*");
        wrongRank.Should().Throw<ArgumentException>().WithMessage("*(3, 16, 16)*");
        wrongType.Should().Throw<ArgumentException>().WithMessage("*float32*Float64*");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ExtractionLeavesOnlyTheReturnedMapsAlive(bool preRelu)
    {
        using var extractor = ResNetFeatureExtractor.Create("resnet18", ["layer1", "layer3"], preRelu ? FeatureActivation.PreRelu : FeatureActivation.PostRelu);
        using var input = randn(1, 3, 32, 32);
        using (extractor.Extract(input))
        {
        }

        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (var i = 0; i < 5; i++)
        {
            using var maps = extractor.Extract(input);
            (DisposeScopeManager.Statistics.ThreadTotalLiveCount - before).Should().Be(2, "only the two returned maps are alive");
        }

        DisposeScopeManager.Statistics.ThreadTotalLiveCount.Should().Be(before, "no tensor survives a disposed extraction");
    }

    [Fact]
    public void DisposedExtractorRefusesWork()
    {
        var extractor = ResNetFeatureExtractor.Create("resnet18", ["layer1"]);
        extractor.Dispose();
        extractor.Dispose();

        var extract = () => extractor.Extract(zeros(1, 3, 16, 16));

        extract.Should().Throw<ObjectDisposedException>();
    }
}
