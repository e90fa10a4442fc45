namespace Anomaly.ED.Tests.TestSupport;

/// <summary>A fact that needs a file from ../shared/golden and is skipped, with the reason shown, when it is absent.</summary>
public sealed class SharedGoldenFactAttribute : FactAttribute
{
    public SharedGoldenFactAttribute(string relativePath)
    {
        if (GoldenData.SharedOrNull(relativePath) is null)
        {
            Skip = $"Golden file shared/golden/{relativePath} is absent (set ANOMALY_ED_GOLDEN or place ../shared beside the repository).";
        }
    }
}
