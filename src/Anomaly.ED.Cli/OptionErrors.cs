using System.Reflection;
using Anomaly.ED.Cli.Commands;
using Spectre.Console.Cli;

namespace Anomaly.ED.Cli;

/// <summary>
/// Rewrites Spectre's conversion errors ("Failed to convert '640x256' to Nullable`1.", a .NET type name and no option)
/// into one that names the option and the form it takes.
/// </summary>
internal static class OptionErrors
{
    private const string ConversionFailed = "Failed to convert '";

    /// <summary>The message to print for an exception of the command line.</summary>
    /// <param name="exception">What Spectre threw.</param>
    /// <param name="args">The command line, to find the option the value was given to.</param>
    public static string Describe(Exception exception, IReadOnlyList<string> args)
    {
        var message = exception.Message;
        var end = message.LastIndexOf("' to ", StringComparison.Ordinal);
        if (exception is not CommandRuntimeException || !message.StartsWith(ConversionFailed, StringComparison.Ordinal) || end < ConversionFailed.Length)
        {
            return message;
        }

        var value = message[ConversionFailed.Length..end];
        return OptionGiven(value, args) is { } name && Find(name) is { } property
            ? $"{name} takes {Form(property.PropertyType)}, got '{value}'."
            : message;
    }

    /// <summary>What a value of <paramref name="type"/> looks like, in the user's words.</summary>
    public static string Form(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type == typeof(ImageSize) ? ImageSize.Form
            : type == typeof(int) ? "a whole number (e.g. 8)"
            : type == typeof(double) ? "a number (e.g. 0.01)"
            : type.IsEnum ? "one of " + string.Join(", ", Enum.GetNames(type).Select(n => n.ToLowerInvariant()))
            : "a value";
    }

    // The option the value followed: "--name value", "-n value", "--name=value" or "--name:value".
    private static string? OptionGiven(string value, IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith('-'))
            {
                continue;
            }

            var separator = arg.IndexOfAny(['=', ':']);
            if (separator > 0 && arg[(separator + 1)..] == value)
            {
                return arg[..separator];
            }

            if (separator < 0 && i + 1 < args.Count && args[i + 1] == value)
            {
                return arg;
            }
        }

        return null;
    }

    // The settings property that declares the option, in any command's settings.
    private static PropertyInfo? Find(string option) => typeof(OptionErrors).Assembly.GetTypes()
        .Where(t => typeof(CommandSettings).IsAssignableFrom(t))
        .SelectMany(t => t.GetProperties())
        .FirstOrDefault(p => p.GetCustomAttribute<CommandOptionAttribute>() is { } attribute
            && (attribute.LongNames.Any(n => "--" + n == option) || attribute.ShortNames.Any(n => "-" + n == option)));
}
