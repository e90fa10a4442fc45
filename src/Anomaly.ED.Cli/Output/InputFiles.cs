using Microsoft.Extensions.FileSystemGlobbing;

namespace Anomaly.ED.Cli.Output;

/// <summary>Expands the inputs of <c>predict</c>: files as given, folders to their images, globs (<c>*</c>, <c>?</c>, <c>**</c>) to the images they match.</summary>
internal static class InputFiles
{
    private static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".bmp"];

    public static IReadOnlyList<string> Expand(IEnumerable<string> inputs)
    {
        var files = new List<string>();
        foreach (var input in inputs)
        {
            if (File.Exists(input))
            {
                files.Add(Path.GetFullPath(input));
            }
            else if (Directory.Exists(input))
            {
                files.AddRange(Directory.EnumerateFiles(input).Where(IsImage).Select(Path.GetFullPath).Order(StringComparer.Ordinal));
            }
            else if (input.IndexOfAny(['*', '?']) >= 0)
            {
                var matched = Glob(input);
                files.AddRange(matched.Count > 0 ? matched : throw new CliUsageException($"No image matches '{input}'."));
            }
            else
            {
                throw new CliUsageException($"'{input}' is neither an image file, a folder nor a glob pattern.");
            }
        }

        return files.Count > 0 ? files.Distinct(StringComparer.Ordinal).ToArray() : throw new CliUsageException("No images to score: give image files, folders or globs.");
    }

    private static List<string> Glob(string pattern)
    {
        // The fixed folders before the first wildcard are the root; the rest is matched below it.
        var full = Path.GetFullPath(pattern).Replace('\\', '/');
        var wildcard = full.IndexOfAny(['*', '?']);
        var rootEnd = full.LastIndexOf('/', wildcard);
        var root = rootEnd <= 0 ? "/" : full[..rootEnd];
        if (!Directory.Exists(root))
        {
            throw new CliUsageException($"The folder '{root}' of the pattern '{pattern}' does not exist.");
        }

        var matcher = new Matcher(StringComparison.Ordinal).AddInclude(full[(rootEnd + 1)..]);
        return [.. matcher.GetResultsInFullPath(root).Where(IsImage).Order(StringComparer.Ordinal)];
    }

    private static bool IsImage(string file) => ImageExtensions.Contains(Path.GetExtension(file), StringComparer.OrdinalIgnoreCase);
}
