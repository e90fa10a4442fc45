namespace Anomaly.ED;

/// <summary>The documented defaults of <see cref="RuntimeOptions"/>, in one place.</summary>
internal static class RuntimeDefaults
{
    /// <summary>The compute device.</summary>
    public const string Device = "cpu";
}
