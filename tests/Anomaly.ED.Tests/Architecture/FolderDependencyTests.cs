using System.Text.RegularExpressions;

namespace Anomaly.ED.Tests.Architecture;

/// <summary>
/// Data flows one way between the library's folders (docs/architecture.md): shared folders never reach into a method's
/// folder, methods never reach into each other, and the file formats, pretrained weights and model files depend only
/// downward. Namespaces follow folders, so a folder's dependencies are the library namespaces its sources name.
/// </summary>
public sealed partial class FolderDependencyTests
{
    private static readonly string Library = Path.Combine(RepositoryRoot(), "src", "Anomaly.ED");

    public static TheoryData<string, string[]> ForbiddenDependencies => new()
    {
        { "Backbones", ["Methods"] },
        { "Data", ["Methods", "Backbones", "ModelFiles", "Pretrained"] },
        { "Evaluation", ["Methods", "Backbones", "ModelFiles", "Pretrained"] },
        { "Export", ["Methods", "ModelFiles"] },
        { "Formats", ["Methods", "Pretrained", "ModelFiles", "Backbones", "Training", "Evaluation", "Visualization"] },
        { "ModelFiles", ["Methods", "Pretrained", "Backbones", "Training"] },
        { "Pretrained", ["Methods", "ModelFiles"] },
        { "Runtime", ["Methods", "ModelFiles", "Pretrained"] },
        { "Scoring", ["Methods", "ModelFiles", "Pretrained"] },
        { "Training", ["Methods", "ModelFiles", "Pretrained"] },
        { "Visualization", ["Methods", "ModelFiles", "Pretrained", "Backbones", "Training"] },
        { "Methods/Ed", ["Methods.Hetmm"] },
        { "Methods/Hetmm", ["Methods.Ed"] },
    };

    [Theory]
    [MemberData(nameof(ForbiddenDependencies))]
    public void AFolderNamesNoNamespaceAboveIt(string folder, string[] forbidden)
    {
        var files = Directory.EnumerateFiles(Path.Combine(Library, folder), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToArray();
        files.Should().NotBeEmpty($"{folder} is a folder of the library");
        var offending = files
            .SelectMany(file => LibraryNamespaces().Matches(File.ReadAllText(file)).Select(m => (File: Path.GetRelativePath(Library, file), Namespace: m.Groups[1].Value)))
            .Where(reference => forbidden.Any(f => reference.Namespace == f || reference.Namespace.StartsWith(f + ".", StringComparison.Ordinal)))
            .Select(reference => $"{reference.File} names Anomaly.ED.{reference.Namespace}")
            .Distinct()
            .ToArray();
        offending.Should().BeEmpty($"{folder} may not depend on {string.Join(", ", forbidden)}");
    }

    // Namespaces named by using directives and by qualified names in code; comments are ignored.
    [GeneratedRegex(@"^(?!\s*//).*?\bAnomaly\.ED\.((?:[A-Z]\w*\.)*[A-Z]\w*)", RegexOptions.Multiline)]
    private static partial Regex LibraryNamespaces();

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Anomaly.ED.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Anomaly.ED.sln above {AppContext.BaseDirectory}.");
    }
}
