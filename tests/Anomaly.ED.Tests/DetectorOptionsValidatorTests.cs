using Anomaly.ED.Tests.TestSupport;
using Anomaly.ED.Methods.Ed;
using Anomaly.ED.Pretrained;
namespace Anomaly.ED.Tests;

public sealed class DetectorOptionsValidatorTests
{
    private static string[] Failures(Action<DetectorOptions> change)
    {
        var options = new DetectorOptions { Backbone = new BackboneOptions { AllowUntrained = true } };
        change(options);
        var result = new DetectorOptionsValidator().Validate(null, options);
        return result.Failed ? result.Failures!.ToArray() : [];
    }

    [Fact]
    public void ReferenceDefaultsWithWeightsAreValid() => Failures(_ => { }).Should().BeEmpty();

    [Fact]
    public void PretrainedCheckpointMustExistAndMatchTheBackbone()
    {
        Failures(o => o.Backbone.PretrainedCheckpoint = "resnet18.tv_in1k").Should().ContainSingle()
            .Which.Should().Contain("holds resnet18 weights but Backbone.Name is 'wide_resnet50_2'");
        Failures(o => o.Backbone.PretrainedCheckpoint = "no-such-checkpoint").Should().ContainSingle()
            .Which.Should().Contain("neither a known checkpoint");
        Failures(o => o.Backbone.PretrainedCheckpoint = "wide_resnet50_2.tv_in1k").Should().BeEmpty();
    }

    [Fact]
    public void CrossFieldRulesNameBothOptions()
    {
        Failures(o => (o.EdSettings().Network.WithInter, o.EdSettings().Network.Score) = (false, AnomalyScoreKind.ReconstructionTimesInter)).Should()
            .Contain(f => f.Contains("ReconstructionTimesInter needs Ed.Network.WithInter"));
        Failures(o => (o.EdSettings().Network.Heads, o.EdSettings().Network.ModelDimensions) = (6, [256, 512])).Should()
            .Contain(f => f.Contains("256 is not divisible by Ed.Network.Heads = 6"));
        Failures(o => o.Backbone.AllowUntrained = false).Should().ContainSingle().Which.Should().Contain("No backbone weights");
    }
}
