using System.Text.Json;
using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.TestSupport;

/// <summary>
/// The tolerance table of a golden folder (tolerances.json): fnmatch-style patterns over tensor names, per-file rules
/// first, then the common ones; the first match wins. A tolerance is either exact (bitwise) or atol + rtol * |golden|.
/// </summary>
public sealed class GoldenTolerances
{
    private readonly List<(Regex Pattern, string Text, Tolerance Tolerance)> common;
    private readonly Dictionary<string, List<(Regex Pattern, string Text, Tolerance Tolerance)>> perFile;

    private GoldenTolerances(
        List<(Regex, string, Tolerance)> common,
        Dictionary<string, List<(Regex, string, Tolerance)>> perFile)
    {
        this.common = common;
        this.perFile = perFile;
    }

    /// <summary>Reads a tolerances.json file.</summary>
    public static GoldenTolerances Load(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var root = document.RootElement;
        var common = ReadRules(root.GetProperty("common"));
        var perFile = new Dictionary<string, List<(Regex, string, Tolerance)>>(StringComparer.Ordinal);
        if (root.TryGetProperty("per_file", out var files))
        {
            foreach (var file in files.EnumerateObject())
            {
                perFile[file.Name] = ReadRules(file.Value);
            }
        }

        return new GoldenTolerances(common, perFile);
    }

    /// <summary>The tolerance for a tensor of a golden file (file name without extension, e.g. "ed_small").</summary>
    public Tolerance For(string file, string tensorName)
    {
        IEnumerable<(Regex Pattern, string Text, Tolerance Tolerance)> rules = common;
        if (perFile.TryGetValue(file, out var specific))
        {
            rules = specific.Concat(common);
        }

        foreach (var rule in rules)
        {
            if (rule.Pattern.IsMatch(tensorName))
            {
                return rule.Tolerance with { Pattern = rule.Text };
            }
        }

        throw new InvalidOperationException($"No tolerance rule of tolerances.json matches tensor '{tensorName}' of '{file}'.");
    }

    /// <summary>Translates an fnmatch pattern (*, ?, [...]) into an anchored regular expression (case-sensitive, as fnmatchcase).</summary>
    public static Regex FnmatchToRegex(string pattern)
    {
        var builder = new System.Text.StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*':
                    builder.Append(".*");
                    break;
                case '?':
                    builder.Append('.');
                    break;
                case '[':
                    var close = pattern.IndexOf(']', i + 1);
                    if (close < 0)
                    {
                        builder.Append(@"\[");
                        break;
                    }

                    var body = pattern[(i + 1)..close];
                    builder.Append('[').Append(body.StartsWith('!') ? "^" + Regex.Escape(body[1..]) : Regex.Escape(body)).Append(']');
                    i = close;
                    break;
                default:
                    builder.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        return new Regex(builder.Append('$').ToString(), RegexOptions.CultureInvariant);
    }

    private static List<(Regex, string, Tolerance)> ReadRules(JsonElement rules)
    {
        var result = new List<(Regex, string, Tolerance)>();
        foreach (var rule in rules.EnumerateArray())
        {
            var pattern = rule.GetProperty("pattern").GetString()!;
            var value = rule.GetProperty("tolerance");
            var tolerance = value.ValueKind == JsonValueKind.String && value.GetString() == "exact"
                ? new Tolerance(true, 0, 0)
                : new Tolerance(false, value.GetProperty("atol").GetDouble(), value.GetProperty("rtol").GetDouble());
            result.Add((FnmatchToRegex(pattern), pattern, tolerance));
        }

        return result;
    }
}

/// <summary>One tolerance rule: exact, or |actual - golden| &lt;= atol + rtol * |golden|.</summary>
public sealed record Tolerance(bool Exact, double Atol, double Rtol)
{
    /// <summary>The pattern that selected this tolerance.</summary>
    public string Pattern { get; init; } = string.Empty;

    /// <summary>Largest |actual - golden| / (atol + rtol |golden|) (0 for exact matches, infinity for exact mismatches).</summary>
    public double Ratio(Tensor actual, Tensor expected)
    {
        using var scope = NewDisposeScope();
        var a = actual.detach().cpu().to(ScalarType.Float64);
        var e = expected.detach().cpu().to(ScalarType.Float64);
        var diff = (a - e).abs();
        if (Exact)
        {
            return diff.max().item<double>() == 0 ? 0 : double.PositiveInfinity;
        }

        return (diff / (e.abs() * Rtol + Atol)).max().item<double>();
    }

    /// <summary>Asserts the tolerance (exact: bitwise equal) and returns the observed ratio.</summary>
    public double Assert(Tensor actual, Tensor expected, string name)
    {
        if (Exact)
        {
            TensorAssert.Equal(actual, expected, name);
            return 0;
        }

        TensorAssert.AllClose(actual, expected, Atol, Rtol, name);
        return Ratio(actual, expected);
    }
}
