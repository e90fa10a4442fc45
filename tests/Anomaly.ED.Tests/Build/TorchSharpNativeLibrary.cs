using System.Reflection;
using TorchSharp;

namespace Anomaly.ED.Tests.Build;

/// <summary>Where the restored TorchSharp package keeps its Linux native library.</summary>
internal static class TorchSharpNativeLibrary
{
    /// <summary>The TorchSharp version this test assembly runs on, for example 0.107.0.</summary>
    public static string Version { get; } =
        typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];

    /// <summary>The NuGet global packages folder (NUGET_PACKAGES, else ~/.nuget/packages).</summary>
    public static string PackagesFolder { get; } =
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>libLibTorchSharp.so in the TorchSharp package folder, or null when that package is not restored there.</summary>
    public static string? InPackageFolder()
    {
        var path = Path.Combine(PackagesFolder, "torchsharp", Version, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        return File.Exists(path) ? path : null;
    }
}

/// <summary>A fact that reads TorchSharp's libLibTorchSharp.so from the package folder; skipped, with the reason, when it is absent.</summary>
public sealed class TorchSharpPackageFactAttribute : FactAttribute
{
    public TorchSharpPackageFactAttribute()
    {
        if (TorchSharpNativeLibrary.InPackageFolder() is null)
        {
            Skip = $"TorchSharp {TorchSharpNativeLibrary.Version}'s libLibTorchSharp.so is not under {TorchSharpNativeLibrary.PackagesFolder}.";
        }
    }
}
