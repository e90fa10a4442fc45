using System.Globalization;

namespace Anomaly.ED.Samples;

/// <summary>Reads option values from a command line, with usage errors that name the option.</summary>
internal static class CommandLineArguments
{
    /// <summary>The value after option <c>args[i]</c>; advances <paramref name="i"/> past it.</summary>
    public static string Value(IReadOnlyList<string> args, ref int i)
    {
        var name = args[i];
        if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
        {
            throw new UsageException($"Option '{name}' needs a value.");
        }

        return args[++i];
    }

    /// <summary>The integer value after option <c>args[i]</c>.</summary>
    public static int Integer(IReadOnlyList<string> args, ref int i)
    {
        var name = args[i];
        var text = Value(args, ref i);
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new UsageException($"Option '{name}' needs an integer, got '{text}'.");
    }

    /// <summary>The integer value after option <c>args[i]</c>, at least <paramref name="minimum"/>.</summary>
    public static int Positive(IReadOnlyList<string> args, ref int i, int minimum)
    {
        var name = args[i];
        var value = Integer(args, ref i);
        return value >= minimum ? value : throw new UsageException($"Option '{name}' must be at least {minimum}, got {value}.");
    }

    /// <summary>The method after option <c>args[i]</c>: ed, fod or hetmm (any case).</summary>
    public static DetectorMethod Method(IReadOnlyList<string> args, ref int i)
    {
        var name = args[i];
        var text = Value(args, ref i);
        return Enum.TryParse<DetectorMethod>(text, ignoreCase: true, out var method) && Enum.IsDefined(method) && !int.TryParse(text, out _)
            ? method
            : throw new UsageException($"Option '{name}' needs one of {string.Join(", ", Enum.GetNames<DetectorMethod>().Select(n => n.ToLowerInvariant()))}, got '{text}'.");
    }
}
