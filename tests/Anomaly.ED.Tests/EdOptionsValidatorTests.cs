namespace Anomaly.ED.Tests;

public sealed class EdOptionsValidatorTests
{
    private static string[] Failures(Action<EdOptions> change)
    {
        var options = new EdOptions { AllowUntrainedBackbone = true };
        change(options);
        var result = new EdOptionsValidator().Validate(null, options);
        return result.Failed ? result.Failures!.ToArray() : [];
    }

    [Fact]
    public void ReferenceDefaultsWithWeightsAreValid() => Failures(_ => { }).Should().BeEmpty();

    [Fact]
    public void PretrainedCheckpointMustExistAndMatchTheBackbone()
    {
        Failures(o => o.PretrainedCheckpoint = "resnet18.tv_in1k").Should().ContainSingle()
            .Which.Should().Contain("holds resnet18 weights but Backbone is 'wide_resnet50_2'");
        Failures(o => o.PretrainedCheckpoint = "no-such-checkpoint").Should().ContainSingle()
            .Which.Should().Contain("neither a known checkpoint");
        Failures(o => o.PretrainedCheckpoint = "wide_resnet50_2.tv_in1k").Should().BeEmpty();
    }

    [Fact]
    public void CrossFieldRulesNameBothOptions()
    {
        Failures(o => (o.WithInter, o.Score) = (false, AnomalyScoreKind.ReconstructionTimesInter)).Should()
            .Contain(f => f.Contains("ReconstructionTimesInter needs WithInter"));
        Failures(o => (o.Heads, o.ModelDimensions) = (6, [256, 512])).Should()
            .Contain(f => f.Contains("256 is not divisible by Heads = 6"));
        Failures(o => o.AllowUntrainedBackbone = false).Should().ContainSingle().Which.Should().Contain("No backbone weights");
    }
}
