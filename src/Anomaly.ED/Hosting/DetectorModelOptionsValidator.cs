using System.Globalization;
using Microsoft.Extensions.Options;

namespace Anomaly.ED.Hosting;

/// <summary>Checks every rule of <see cref="DetectorModelOptions"/> at once; each message names the option and its value.</summary>
internal sealed class DetectorModelOptionsValidator : IValidateOptions<DetectorModelOptions>
{
    public ValidateOptionsResult Validate(string? name, DetectorModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ModelPath))
        {
            failures.Add("ModelPath is not set; give the model file written by EdDetector.Save.");
        }
        else if (!File.Exists(options.ModelPath))
        {
            failures.Add(Fmt($"ModelPath '{options.ModelPath}' does not exist (looked for '{FullPath(options.ModelPath)}')."));
        }

        if (options.BackboneWeightsPath is not null && !File.Exists(options.BackboneWeightsPath))
        {
            failures.Add(Fmt($"BackboneWeightsPath '{options.BackboneWeightsPath}' does not exist (looked for '{FullPath(options.BackboneWeightsPath)}')."));
        }

        if (options.Runtime is null)
        {
            failures.Add("Runtime must not be null.");
        }
        else
        {
            failures.AddRange(options.Runtime.Failures("Runtime:"));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    // A path the system cannot resolve is reported as written rather than failing the validation itself.
    private static string FullPath(string path)
    {
        try
        {
            return Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return path;
        }
    }

    private static string Fmt(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
