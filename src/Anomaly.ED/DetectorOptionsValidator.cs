using System.Globalization;
using Anomaly.ED.Backbones;
using Anomaly.ED.Methods;
using Anomaly.ED.Pretrained;
using Microsoft.Extensions.Options;

namespace Anomaly.ED;

/// <summary>Checks every rule of <see cref="DetectorOptions"/> at once, the shared ones and the chosen method's (its descriptor's); each message names the option and its value.</summary>
internal sealed class DetectorOptionsValidator : IValidateOptions<DetectorOptions>
{
    /// <summary>Validates <paramref name="options"/> and returns all failures (named options are validated the same way).</summary>
    public ValidateOptionsResult Validate(string? name, DetectorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = Failures(options, checkWeightsSource: true);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>A copy of <paramref name="options"/> with every unset value taken from the method's reference configuration.</summary>
    /// <exception cref="OptionsValidationException">The options are invalid; the message lists every problem.</exception>
    public static DetectorOptions Completed(DetectorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = Failures(options, checkWeightsSource: true);
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(DetectorOptions), failures);
        }

        var completed = options.Clone();
        MethodRegistry.Get(completed.Method).Complete(completed);
        return completed;
    }

    /// <summary>The problems of options read from a model file: the same rules except that the recorded weights source need not exist here (the file may embed the weights, or the caller gives them).</summary>
    public static IReadOnlyList<string> ModelFileFailures(DetectorOptions options) => Failures(options, checkWeightsSource: false);

    private static List<string> Failures(DetectorOptions o, bool checkWeightsSource)
    {
        var f = new List<string>();
        void Check(bool ok, string message)
        {
            if (!ok)
            {
                f.Add(message);
            }
        }

        if (o.Backbone is null || o.Runtime is null)
        {
            f.Add("Backbone and Runtime must not be null.");
            return f;
        }

        if (!Enum.IsDefined(o.Method))
        {
            f.Add(Fmt($"Method = {o.Method} is not a known method ({string.Join(", ", Enum.GetNames<DetectorMethod>())})."));
            return f;
        }

        var method = MethodRegistry.Get(o.Method);
        foreach (var other in MethodRegistry.All.Where(d => d.OptionsGroup != method.OptionsGroup).DistinctBy(d => d.OptionsGroup))
        {
            Check(other.GroupOf(o) is null, Fmt($"{other.OptionsGroup} holds {other.DisplayName} settings but Method is {o.Method}, which would ignore them; remove them or set Method = {other.Method}."));
        }

        var completed = o.Clone();
        method.Complete(completed);
        CheckBackbone(completed.Backbone, checkWeightsSource, Check);
        method.Validate(completed, Check);
        f.AddRange(o.Runtime.Failures("Runtime."));
        return f;
    }

    private static void CheckBackbone(BackboneOptions b, bool checkWeightsSource, Action<bool, string> check)
    {
        check(BackboneCatalog.TryGet(b.Name, out _),
            Fmt($"Backbone.Name '{b.Name}' is unknown; known backbones: {string.Join(", ", BackboneCatalog.Names)}."));
        if (!checkWeightsSource)
        {
            CheckStagesAndSize(b, check);
            return;
        }

        check(b.WeightsPath is null || File.Exists(b.WeightsPath),
            Fmt($"Backbone.WeightsPath '{b.WeightsPath}' does not exist."));
        check(b.WeightsPath is null || b.PretrainedCheckpoint is null,
            "Backbone.WeightsPath and Backbone.PretrainedCheckpoint are both set; choose one source of backbone weights.");

        if (b.PretrainedCheckpoint is not null)
        {
            if (PretrainedCatalog.TryGet(b.PretrainedCheckpoint, out var checkpoint))
            {
                check(string.Equals(checkpoint.Architecture, b.Name, StringComparison.OrdinalIgnoreCase),
                    Fmt($"Backbone.PretrainedCheckpoint '{b.PretrainedCheckpoint}' holds {checkpoint.Architecture} weights but Backbone.Name is '{b.Name}'."));
            }
            else
            {
                check(File.Exists(b.PretrainedCheckpoint),
                    Fmt($"Backbone.PretrainedCheckpoint '{b.PretrainedCheckpoint}' is neither a known checkpoint ({string.Join(", ", PretrainedCatalog.Names)}) nor an existing file."));
            }
        }

        check(b.WeightsPath is not null || b.PretrainedCheckpoint is not null || b.AllowUntrained,
            "No backbone weights: set Backbone.WeightsPath, Backbone.PretrainedCheckpoint, or Backbone.AllowUntrained = true (untrained weights detect defects poorly).");
        CheckStagesAndSize(b, check);
    }

    private static void CheckStagesAndSize(BackboneOptions b, Action<bool, string> check)
    {
        var levels = b.Levels ?? [];
        check(levels.Count > 0, "Backbone.Levels is empty; at least one backbone stage (e.g. 'layer2') is needed.");
        check(levels.Distinct(StringComparer.Ordinal).Count() == levels.Count, Fmt($"Backbone.Levels [{string.Join(", ", levels)}] has duplicates."));
        foreach (var level in levels)
        {
            check(level is "layer1" or "layer2" or "layer3" or "layer4", Fmt($"Backbone.Levels entry '{level}' is not a backbone stage (layer1 to layer4)."));
        }

        check(b.ImageHeight is >= 32 and <= DetectorDefaults.MaxImageSize, Fmt($"Backbone.ImageHeight = {b.ImageHeight} must lie in [32, {DetectorDefaults.MaxImageSize}] pixels."));
        check(b.ImageWidth is >= 32 and <= DetectorDefaults.MaxImageSize, Fmt($"Backbone.ImageWidth = {b.ImageWidth} must lie in [32, {DetectorDefaults.MaxImageSize}] pixels."));
    }

    private static string Fmt(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
