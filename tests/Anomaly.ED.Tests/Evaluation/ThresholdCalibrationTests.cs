using System.Text.Json;
using Anomaly.ED.Evaluation;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Evaluation;

public sealed class ThresholdCalibrationTests
{
    private static readonly float[] OneToTen = [3f, 1f, 10f, 4f, 2f, 9f, 5f, 8f, 6f, 7f];

    [Theory]
    [InlineData(0.1, 9f, 1)]
    [InlineData(0.25, 8f, 2)]
    [InlineData(0.05, 10f, 0)]
    [InlineData(0.999, 1f, 9)]
    public void FalsePositiveRateThresholdSitsJustAboveTheFirstScoreKept(double fpr, float firstKept, int flagged)
    {
        var threshold = ThresholdCalibration.AtFalsePositiveRate(OneToTen, fpr);
        threshold.Should().Be(MathF.BitIncrement(firstKept));
        var calibration = new Calibration(threshold);
        OneToTen.Count(calibration.IsAnomalous).Should().Be(flagged, "floor(fpr * n) normal scores may be flagged");
    }

    [Fact]
    public void TiesOnlyLowerTheValidationRate()
    {
        // k = floor(0.4 * 5) = 2, but the 2nd and 3rd largest are tied: flagging them both would exceed the target.
        float[] scores = [1f, 2f, 3f, 3f, 3f];
        var threshold = ThresholdCalibration.AtFalsePositiveRate(scores, 0.4);
        threshold.Should().Be(MathF.BitIncrement(3f));
        scores.Count(s => s >= threshold).Should().Be(0);
    }

    [Fact]
    public void ASingleNormalScoreGivesAThresholdJustAboveIt()
    {
        ThresholdCalibration.AtFalsePositiveRate([0.5f], 0.2).Should().Be(MathF.BitIncrement(0.5f));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void FalsePositiveRateMustLieStrictlyBetweenZeroAndOne(double fpr)
    {
        var act = () => ThresholdCalibration.AtFalsePositiveRate(OneToTen, fpr);
        act.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("falsePositiveRate");
    }

    [Fact]
    public void InvalidScoresGiveSpecificErrors()
    {
        var empty = () => ThresholdCalibration.AtFalsePositiveRate([], 0.1);
        empty.Should().Throw<ArgumentException>().WithMessage("*at least one validation score*").Which.ParamName.Should().Be("normalScores");
        var nan = () => ThresholdCalibration.AtFalsePositiveRate([1f, float.NaN], 0.1);
        nan.Should().Throw<ArgumentException>().WithMessage("*validation score 1 is not finite*");
        var infinite = () => ThresholdCalibration.AtF1Max([1f, float.PositiveInfinity], [false, true]);
        infinite.Should().Throw<ArgumentException>().WithMessage("*validation score 1 is not finite*");
        var oneClass = () => ThresholdCalibration.AtF1Max([1f, 2f], [true, true]);
        oneClass.Should().Throw<ArgumentException>().WithMessage("*needs normal and defective validation images (2 defective, 0 normal)*");
        var lengths = () => ThresholdCalibration.AtF1Max([1f, 2f], [true]);
        lengths.Should().Throw<ArgumentException>().WithMessage("*2 scores but 1 labels*");
    }

    [Fact]
    public void F1ThresholdIsTheF1MaxThreshold()
    {
        // The synthetic set's image scores: F1 8/9 at 0.25 (see EvaluationReportTests).
        float[] scores = [0.2f, 0.3f, 0.9f, 0.25f, 0.8f, 0.7f];
        bool[] labels = [false, false, true, true, true, true];
        var result = ThresholdCalibration.AtF1Max(scores, labels);
        result.Threshold.Should().Be(0.25f);
        result.F1.Should().BeApproximately(8.0 / 9.0, 1e-12);

        var calibration = ThresholdCalibration.FromLabelledScores(scores, labels);
        calibration.Threshold.Should().Be(0.25f);
        calibration.Normalization.Should().Be(new ScoreNormalization(0.25f, 0.2f, 0.9f), "min-max over every validation score");
        calibration.IsAnomalous(0.25f).Should().BeTrue();
        calibration.IsAnomalous(0.2f).Should().BeFalse();
    }

    [Fact]
    public void NormalisationMapsTheThresholdToOneHalfAndClamps()
    {
        var normalization = ScoreNormalization.FromScores([0.2f, 0.6f, 1.0f], threshold: 0.8);
        (normalization.Minimum, normalization.Maximum).Should().Be((0.2f, 1.0f));
        normalization.Apply(0.8).Should().Be(0.5);
        normalization.Apply(1.0).Should().BeApproximately(0.75, 1e-7);
        normalization.Apply(0.4).Should().BeApproximately(0.0, 1e-7);
        normalization.Apply(5.0).Should().Be(1.0);
        normalization.Apply(-5.0).Should().Be(0.0);
        normalization.Apply(0.8f).Should().Be(0.5f);

        float[] map = [0.8f, 5f, -5f];
        normalization.Apply(map.AsSpan());
        map.Should().Equal(0.5f, 1f, 0f);

        var destination = new float[3];
        normalization.Apply([0.8f, 5f, -5f], destination);
        destination.Should().Equal(0.5f, 1f, 0f);
        var wrongLength = () => normalization.Apply([0.8f], new float[2]);
        wrongLength.Should().Throw<ArgumentException>().WithMessage("*1 source values but 2 destination values*");
    }

    [Fact]
    public void NormalisationAppliesToTensorsKeepingShapeAndType()
    {
        using var scope = NewDisposeScope();
        var normalization = new ScoreNormalization(0.8, 0.2, 1.0);
        var maps = tensor(new float[] { 0.8f, 5f, -5f, 1.0f }).reshape(1, 2, 2);
        var normalized = normalization.Apply(maps);
        normalized.shape.Should().Equal(1, 2, 2);
        normalized.dtype.Should().Be(ScalarType.Float32);
        normalized.data<float>().ToArray().Should().Equal(0.5f, 1f, 0f, 0.75f);

        var integers = () => normalization.Apply(tensor(new long[] { 1, 2 }));
        integers.Should().Throw<ArgumentException>().WithMessage("*floating-point*Int64*");
    }

    [Fact]
    public void InvalidNormalisationsAreRejected()
    {
        var equal = () => ScoreNormalization.FromScores([0.5f, 0.5f], 0.5);
        equal.Should().Throw<ArgumentException>().WithMessage("*two different scores; all 2 equal 0.5*");
        var reversed = () => new ScoreNormalization(0.5, 1.0, 0.0);
        reversed.Should().Throw<ArgumentException>().WithMessage("*maximum > minimum*");
        var infinite = () => new ScoreNormalization(double.PositiveInfinity, 0.0, 1.0);
        infinite.Should().Throw<ArgumentException>().WithMessage("*finite*");
        var mismatch = () => new Calibration(0.6, new ScoreNormalization(0.5, 0.0, 1.0));
        mismatch.Should().Throw<ArgumentException>().WithMessage("*maps 0.5 to 0.5 but the calibration threshold is 0.6*");
        var nanThreshold = () => new Calibration(double.NaN);
        nanThreshold.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("threshold");
    }

    [Fact]
    public void NormalCalibrationCombinesTheFprThresholdWithTheNormalsRange()
    {
        var calibration = ThresholdCalibration.FromNormalScores(OneToTen, 0.1);
        calibration.Threshold.Should().Be(MathF.BitIncrement(9f));
        calibration.Normalization.Should().Be(new ScoreNormalization(MathF.BitIncrement(9f), 1.0, 10.0));
        calibration.Normalize(MathF.BitIncrement(9f)).Should().Be(0.5f);
        calibration.Normalize(10f).Should().BeApproximately(0.5f + 1f / 9f, 1e-6f);
        OneToTen.Count(calibration.IsAnomalous).Should().Be(1);

        var raw = ThresholdCalibration.FromNormalScores(OneToTen, 0.1, normalize: false);
        raw.Normalization.Should().BeNull();
        raw.Normalize(10f).Should().Be(10f);
    }

    [Fact]
    public void CalibrationSerialisesWithSystemTextJson()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        var calibration = ThresholdCalibration.FromNormalScores(OneToTen, 0.1);
        var json = JsonSerializer.Serialize(calibration, options);
        json.Should().Contain("\"threshold\":").And.Contain("\"minimum\":1").And.Contain("\"maximum\":10");
        JsonSerializer.Deserialize<Calibration>(json, options).Should().Be(calibration);

        var plain = new Calibration(0.25);
        JsonSerializer.Deserialize<Calibration>(JsonSerializer.Serialize(plain, options), options).Should().Be(plain);
    }
}
