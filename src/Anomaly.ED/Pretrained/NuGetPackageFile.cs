using System.Diagnostics.CodeAnalysis;

namespace Anomaly.ED.Pretrained;

/// <summary>
/// A weights file shipped inside a NuGet package, found without any download: in the application's output folder
/// (where the package's build step copies it) or in the NuGet global packages folder (where restore put it).
/// </summary>
/// <param name="PackageId">The package id, e.g. <c>"Microsoft.ML.DnnImageFeaturizer.ResNet18"</c>.</param>
/// <param name="Version">The package version whose file layout is known, e.g. <c>"0.23.1"</c>; other restored versions are tried after it.</param>
/// <param name="PathInPackage">The file's path inside the package, with '/' separators.</param>
/// <param name="PathInOutput">The file's path relative to the application's output folder, where the package copies it, with '/' separators.</param>
internal sealed record NuGetPackageFile(string PackageId, string Version, string PathInPackage, string PathInOutput)
{
    /// <summary>The environment variable NuGet uses for its global packages folder.</summary>
    public const string PackagesFolderEnvironmentVariable = "NUGET_PACKAGES";

    /// <summary>The command that adds the package to a project.</summary>
    public string AddPackageCommand => $"dotnet add package {PackageId} --version {Version}";

    /// <summary>
    /// The NuGet global packages folder: <c>$NUGET_PACKAGES</c> when set, else <c>~/.nuget/packages</c>
    /// (<c>%USERPROFILE%\.nuget\packages</c> on Windows). A <c>globalPackagesFolder</c> set in a nuget.config is not
    /// read; set <c>NUGET_PACKAGES</c> to the same folder in that case.
    /// </summary>
    /// <returns>The absolute folder path (it may not exist).</returns>
    public static string GlobalPackagesFolder()
    {
        var configured = Environment.GetEnvironmentVariable(PackagesFolderEnvironmentVariable);
        return !string.IsNullOrWhiteSpace(configured)
            ? Path.GetFullPath(configured)
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
    }

    /// <summary>
    /// The places searched, in order: the application's output folder, the package's <see cref="Version"/> in the
    /// global packages folder, then any other restored version of the package (newest first).
    /// </summary>
    /// <returns>Absolute file paths (they may not exist).</returns>
    public IReadOnlyList<string> CandidatePaths()
    {
        var candidates = new List<string> { Path.Combine(AppContext.BaseDirectory, Relative(PathInOutput)) };
        var packageFolder = Path.Combine(GlobalPackagesFolder(), PackageId.ToLowerInvariant());
        candidates.Add(Path.Combine(packageFolder, Version.ToLowerInvariant(), Relative(PathInPackage)));
        if (Directory.Exists(packageFolder))
        {
            candidates.AddRange(Directory.GetDirectories(packageFolder)
                .Select(Path.GetFileName)
                .Where(v => !string.Equals(v, Version, StringComparison.OrdinalIgnoreCase))
                .OrderByDescending(v => System.Version.TryParse(v, out var parsed) ? parsed : new Version(0, 0))
                .Select(v => Path.Combine(packageFolder, v!, Relative(PathInPackage))));
        }

        return candidates;
    }

    /// <summary>Finds the file in the first candidate place that has it; touches no network.</summary>
    /// <param name="path">The absolute path of the file, when found.</param>
    /// <returns>Whether the file was found.</returns>
    public bool TryLocate([NotNullWhen(true)] out string? path)
    {
        path = CandidatePaths().FirstOrDefault(File.Exists);
        return path is not null;
    }

    /// <summary>The message for a missing file: the package to add and where it was looked for.</summary>
    /// <param name="checkpointName">The checkpoint that needs the file.</param>
    public string MissingFileMessage(string checkpointName)
        => $"Pretrained checkpoint '{checkpointName}' comes from the NuGet package {PackageId} ({PathInPackage}), which was not found. "
            + $"Add the package to your application ('{AddPackageCommand}'; its build step copies the file to the output folder), "
            + $"or restore it so that it is in the NuGet packages folder, or pass the file's path. Looked in: {string.Join("; ", CandidatePaths())}.";

    private static string Relative(string path) => path.Replace('/', Path.DirectorySeparatorChar);
}
