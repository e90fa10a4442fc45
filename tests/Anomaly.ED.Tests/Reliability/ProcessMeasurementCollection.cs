namespace Anomaly.ED.Tests.Reliability;

/// <summary>
/// Tests that measure the whole process (resident memory, managed heap) run alone: tests of other areas running beside
/// them allocate and free in the same process and would make those figures theirs.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessMeasurementCollection
{
    public const string Name = "Process measurements";
}
