namespace Anomaly.ED.Tests.Detector;

/// <summary>
/// Detector tests share one fitted detector and run alone: seeded reproducibility assertions need TorchSharp's
/// process-wide random generator, which tests of other areas seed in parallel.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DetectorCollection : ICollectionFixture<TinyDetectorFixture>
{
    public const string Name = "Detector";
}
