using Anomaly.ED.Methods.Ed;
using Anomaly.ED.Scoring;
using Anomaly.ED.Tests.Detector;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Scoring;

[Collection(DetectorCollection.Name)]
public sealed class AnomalyMapGeneratorTests
{
    private readonly TinyDetectorFixture fixture;

    public AnomalyMapGeneratorTests(TinyDetectorFixture fixture) => this.fixture = fixture;

    [Fact]
    public void WithoutASmootherTheSmoothedMapsAreTheCombinedOnes()
    {
        using var scope = NewDisposeScope();
        var levels = new[] { rand(2, 4, 4), rand(2, 2, 2) };
        using var maps = new AnomalyMapGenerator(16, 16, smoother: null).Generate(levels);
        maps.Smoothed.allclose(maps.Combined, rtol: 0, atol: 0).Should().BeTrue();
        maps.ImageScores.allclose(maps.Combined.amax(new long[] { 1, 2 }), rtol: 0, atol: 0).Should().BeTrue();

        using var smoothed = new AnomalyMapGenerator(16, 16, new GaussianMapSmoother(2)).Generate(levels);
        smoothed.Smoothed.allclose(smoothed.Combined, rtol: 0, atol: 0).Should().BeFalse("a smoother changes the maps");
    }

    [Fact]
    public void SigmaZeroTurnsEdSmoothingOff()
    {
        using var sharp = TinyDetectorFixture.NewBuilder(epochs: 1).WithScoring(Anomaly.ED.Methods.Ed.AnomalyScoreKind.ReconstructionTimesInter, smoothingSigma: 0).Build();
        sharp.Fit(fixture.Training);
        using var smooth = TinyDetectorFixture.NewBuilder(epochs: 1).Build();
        smooth.Fit(fixture.Training);

        var image = fixture.Test.Items.First(i => i.IsDefective).ImagePath;
        var unsmoothed = sharp.Predict(image).Map.Values;
        var reference = smooth.Predict(image).Map.Values;
        Roughness(unsmoothed).Should().BeGreaterThan(Roughness(reference), "with sigma 0 the map is not smoothed");
    }

    // Mean absolute difference between horizontal neighbours of a 64x64 map.
    private static double Roughness(float[] map) =>
        Enumerable.Range(0, 64).SelectMany(y => Enumerable.Range(0, 63).Select(x => Math.Abs(map[(y * 64) + x + 1] - map[(y * 64) + x]))).Average();
}
