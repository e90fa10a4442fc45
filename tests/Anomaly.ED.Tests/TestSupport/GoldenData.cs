namespace Anomaly.ED.Tests.TestSupport;

/// <summary>Locates golden reference data: small files copied into the test output, large ones in ../shared/golden.</summary>
public static class GoldenData
{
    private static readonly Lazy<string?> Shared = new(FindSharedGolden);

    /// <summary>The shared golden folder (…/shared/golden), or null when it is not beside the repository.</summary>
    public static string? SharedDirectory => Shared.Value;

    /// <summary>Path of a golden file copied into the test project (tests/Anomaly.ED.Tests/Golden/…).</summary>
    public static string Copied(string relativePath)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Golden", relativePath);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Golden file '{relativePath}' is not in the test output; it should be under tests/Anomaly.ED.Tests/Golden.", path);
        }

        return path;
    }

    /// <summary>Path of a file in the shared golden folder, or null when that file is absent.</summary>
    public static string? SharedOrNull(string relativePath)
    {
        if (SharedDirectory is null)
        {
            return null;
        }

        var path = Path.Combine(SharedDirectory, relativePath);
        return File.Exists(path) ? path : null;
    }

    private static string? FindSharedGolden()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("ANOMALY_ED_GOLDEN");
        if (!string.IsNullOrEmpty(fromEnvironment) && Directory.Exists(fromEnvironment))
        {
            return fromEnvironment;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "golden");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
