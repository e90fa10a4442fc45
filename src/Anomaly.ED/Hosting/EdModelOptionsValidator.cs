using System.Globalization;
using Microsoft.Extensions.Options;

namespace Anomaly.ED.Hosting;

/// <summary>Checks every rule of <see cref="EdModelOptions"/> at once; each message names the option and its value.</summary>
internal sealed class EdModelOptionsValidator : IValidateOptions<EdModelOptions>
{
    public ValidateOptionsResult Validate(string? name, EdModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ModelPath))
        {
            failures.Add("ModelPath is not set; give the model file written by EdDetector.Save.");
        }
        else if (!File.Exists(options.ModelPath))
        {
            failures.Add(Fmt($"ModelPath '{options.ModelPath}' does not exist (looked for '{Path.GetFullPath(options.ModelPath)}')."));
        }

        if (options.BackboneWeightsPath is not null && !File.Exists(options.BackboneWeightsPath))
        {
            failures.Add(Fmt($"BackboneWeightsPath '{options.BackboneWeightsPath}' does not exist (looked for '{Path.GetFullPath(options.BackboneWeightsPath)}')."));
        }

        if (options.Device is not null && !DeviceName.TryParse(options.Device, out _))
        {
            failures.Add(Fmt($"Device '{options.Device}' is not 'cpu', 'cuda' or 'cuda:N'."));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static string Fmt(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
