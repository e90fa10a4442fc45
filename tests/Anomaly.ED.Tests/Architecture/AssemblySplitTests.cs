using System.Reflection;
using Anomaly.ED.Evaluation;

namespace Anomaly.ED.Tests.Architecture;

/// <summary>
/// The TorchSharp library and its TorchSharp-free core as binaries see them (docs/decisions/core-assembly.md,
/// service-split.md): a type that moved to the core is still found where older binaries look for it, and moving types
/// between the two does not grow their public surface.
/// </summary>
public sealed class AssemblySplitTests
{
    private static readonly Assembly Library = typeof(EdDetector).Assembly;
    private static readonly Assembly Core = typeof(Calibration).Assembly;

    [Fact]
    public void RuntimeOptionsIsForwardedFromTheLibraryToTheCore()
    {
        typeof(RuntimeOptions).Assembly.Should().BeSameAs(Core);
        Library.GetForwardedTypes().Should().Contain(typeof(RuntimeOptions));

        // What a binary compiled when the type lived in Anomaly.ED asks for.
        Type.GetType("Anomaly.ED.RuntimeOptions, Anomaly.ED", throwOnError: true).Should().Be(typeof(RuntimeOptions));
    }

    [Fact]
    public void TheTwoAssembliesKeepTheirPublicTypeBudget()
    {
        // The library's own namespaces, as the budget of 70 was counted (issue 20): the DI extension class lives in
        // Microsoft.Extensions.DependencyInjection by convention and is not part of it.
        var types = Library.GetExportedTypes().Concat(Core.GetExportedTypes())
            .Where(t => t.Namespace?.StartsWith("Anomaly.ED", StringComparison.Ordinal) == true)
            .Select(t => t.FullName).ToArray();
        types.Should().OnlyHaveUniqueItems();
        types.Length.Should().BeLessThanOrEqualTo(70, string.Join(", ", types.Order(StringComparer.Ordinal)));
    }
}
