namespace Anomaly.ED.Tests.Build;

/// <summary>A fact for Linux x64 only (TorchSharp-cpu's Linux bundle); skipped, with the reason, elsewhere.</summary>
public sealed class LinuxX64FactAttribute : FactAttribute
{
    public LinuxX64FactAttribute()
    {
        if (!OperatingSystem.IsLinux() || System.Runtime.InteropServices.RuntimeInformation.OSArchitecture != System.Runtime.InteropServices.Architecture.X64)
        {
            Skip = "Builds and runs a Linux x64 application with TorchSharp-cpu.";
        }
    }
}
