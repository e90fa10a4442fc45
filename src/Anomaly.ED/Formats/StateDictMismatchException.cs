using System.Text;

namespace Anomaly.ED.Formats;

/// <summary>Thrown when a state dict does not fit a module; the message lists every missing, unexpected and mis-shaped key at once.</summary>
public sealed class StateDictMismatchException : Exception
{
    /// <summary>Creates the exception from the three lists of problems.</summary>
    /// <param name="missingKeys">Module entries the state dict lacks.</param>
    /// <param name="unexpectedKeys">State-dict entries the module does not have.</param>
    /// <param name="shapeMismatches">Entries present on both sides with different shapes, each as "name: expected [..], got [..]".</param>
    /// <param name="target">What was being loaded, for the message (e.g. "EDNetwork from 'model.safetensors'"); null omits it.</param>
    public StateDictMismatchException(IReadOnlyList<string> missingKeys, IReadOnlyList<string> unexpectedKeys, IReadOnlyList<string> shapeMismatches, string? target = null)
        : base(BuildMessage(missingKeys, unexpectedKeys, shapeMismatches, target))
    {
        MissingKeys = missingKeys;
        UnexpectedKeys = unexpectedKeys;
        ShapeMismatches = shapeMismatches;
    }

    /// <summary>Module entries (parameters and persistent buffers) that the state dict lacks.</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>State-dict entries that the module does not have.</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }

    /// <summary>Entries whose shapes differ, each formatted "name: expected [..], got [..]".</summary>
    public IReadOnlyList<string> ShapeMismatches { get; }

    private static string BuildMessage(IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> mismatched, string? target)
    {
        ArgumentNullException.ThrowIfNull(missing);
        ArgumentNullException.ThrowIfNull(unexpected);
        ArgumentNullException.ThrowIfNull(mismatched);
        var message = new StringBuilder("Error(s) loading state dict");
        if (!string.IsNullOrEmpty(target))
        {
            message.Append(" into ").Append(target);
        }

        message.Append(':');
        Append(message, missing, "missing key", "missing keys", "in the module but not in the state dict");
        Append(message, unexpected, "unexpected key", "unexpected keys", "in the state dict but not in the module");
        Append(message, mismatched, "shape mismatch", "shape mismatches", "same name, different shape");
        return message.ToString();
    }

    private static void Append(StringBuilder message, IReadOnlyList<string> items, string singular, string plural, string meaning)
    {
        if (items.Count == 0)
        {
            return;
        }

        message.AppendLine().Append(items.Count).Append(' ').Append(items.Count == 1 ? singular : plural)
            .Append(" (").Append(meaning).Append("):");
        foreach (var item in items)
        {
            message.AppendLine().Append("  ").Append(item);
        }
    }
}
