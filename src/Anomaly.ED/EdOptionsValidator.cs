using System.Globalization;
using Anomaly.ED.Backbones;
using Anomaly.ED.Weights;
using Microsoft.Extensions.Options;

namespace Anomaly.ED;

/// <summary>Checks every rule of <see cref="EdOptions"/> at once; each message names the option and its value.</summary>
public sealed class EdOptionsValidator : IValidateOptions<EdOptions>
{
    /// <summary>Validates <paramref name="options"/> and returns all failures (named options are validated the same way).</summary>
    public ValidateOptionsResult Validate(string? name, EdOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = Failures(options);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Throws an <see cref="OptionsValidationException"/> listing every problem when <paramref name="options"/> are invalid.</summary>
    public static void ThrowIfInvalid(EdOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = Failures(options);
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(EdOptions), failures);
        }
    }

    private static List<string> Failures(EdOptions o)
    {
        var f = new List<string>();
        void Check(bool ok, string message)
        {
            if (!ok)
            {
                f.Add(message);
            }
        }

        string Fmt(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

        Check(BackboneCatalog.TryGet(o.Backbone, out _),
            Fmt($"Backbone '{o.Backbone}' is unknown; known backbones: {string.Join(", ", BackboneCatalog.Names)}."));
        Check(o.BackboneWeightsPath is null || File.Exists(o.BackboneWeightsPath),
            Fmt($"BackboneWeightsPath '{o.BackboneWeightsPath}' does not exist."));
        Check(o.BackboneWeightsPath is null || o.PretrainedCheckpoint is null,
            "BackboneWeightsPath and PretrainedCheckpoint are both set; choose one source of backbone weights.");

        if (o.PretrainedCheckpoint is not null)
        {
            if (PretrainedCatalog.TryGet(o.PretrainedCheckpoint, out var checkpoint))
            {
                Check(string.Equals(checkpoint.Architecture, o.Backbone, StringComparison.OrdinalIgnoreCase),
                    Fmt($"PretrainedCheckpoint '{o.PretrainedCheckpoint}' holds {checkpoint.Architecture} weights but Backbone is '{o.Backbone}'."));
            }
            else
            {
                Check(File.Exists(o.PretrainedCheckpoint),
                    Fmt($"PretrainedCheckpoint '{o.PretrainedCheckpoint}' is neither a known checkpoint ({string.Join(", ", PretrainedCatalog.Names)}) nor an existing file."));
            }
        }

        Check(o.BackboneWeightsPath is not null || o.PretrainedCheckpoint is not null || o.AllowUntrainedBackbone,
            "No backbone weights: set BackboneWeightsPath, PretrainedCheckpoint, or AllowUntrainedBackbone = true (untrained weights detect defects poorly).");

        var levels = o.Levels ?? [];
        Check(levels.Count > 0, "Levels is empty; at least one backbone stage (e.g. 'layer2') is needed.");
        Check(levels.Distinct(StringComparer.Ordinal).Count() == levels.Count, Fmt($"Levels [{string.Join(", ", levels)}] has duplicates."));
        foreach (var level in levels)
        {
            Check(level is "layer1" or "layer2" or "layer3" or "layer4", Fmt($"Levels entry '{level}' is not a backbone stage (layer1 to layer4)."));
        }

        var dims = o.ModelDimensions ?? [];
        Check(dims.Count == levels.Count, Fmt($"ModelDimensions has {dims.Count} entries but Levels has {levels.Count}; give one d_model per level."));
        foreach (var d in dims)
        {
            Check(d > 0 && d % 4 == 0, Fmt($"ModelDimensions entry {d} must be a positive multiple of 4 (2-D sine/cosine positional table)."));
            Check(o.Heads <= 0 || d % o.Heads == 0, Fmt($"ModelDimensions entry {d} is not divisible by Heads = {o.Heads}."));
        }

        Check(o.ImageHeight >= 32, Fmt($"ImageHeight = {o.ImageHeight} must be at least 32 pixels."));
        Check(o.ImageWidth >= 32, Fmt($"ImageWidth = {o.ImageWidth} must be at least 32 pixels."));
        Check(o.Heads > 0, Fmt($"Heads = {o.Heads} must be positive."));
        Check(o.Layers > 0, Fmt($"Layers = {o.Layers} must be positive."));
        Check(o.FeedForwardScale > 0, Fmt($"FeedForwardScale = {o.FeedForwardScale} must be positive."));
        Check(o.Dropout >= 0 && o.Dropout < 1, Fmt($"Dropout = {o.Dropout} must lie in [0, 1)."));
        Check(o.WithIntra || o.WithInter || o.Score == AnomalyScoreKind.Reconstruction,
            Fmt($"Score = {o.Score} needs a correlation branch, but WithIntra and WithInter are both false."));
        Check(o.Score != AnomalyScoreKind.ReconstructionTimesInter || o.WithInter,
            "Score = ReconstructionTimesInter needs WithInter = true.");
        Check(o.Score != AnomalyScoreKind.ReconstructionTimesIntra || o.WithIntra,
            "Score = ReconstructionTimesIntra needs WithIntra = true.");
        Check(o.SmoothingSigma >= 0 && double.IsFinite(o.SmoothingSigma), Fmt($"SmoothingSigma = {o.SmoothingSigma} must be finite and not negative."));
        Check(o.Epochs > 0, Fmt($"Epochs = {o.Epochs} must be positive."));
        Check(o.BatchSize > 0, Fmt($"BatchSize = {o.BatchSize} must be positive."));
        Check(o.LearningRate > 0 && double.IsFinite(o.LearningRate), Fmt($"LearningRate = {o.LearningRate} must be positive and finite."));
        Check(double.IsFinite(o.Lambda1) && o.Lambda1 >= 0, Fmt($"Lambda1 = {o.Lambda1} must be finite and not negative."));
        Check(double.IsFinite(o.Lambda2) && o.Lambda2 >= 0, Fmt($"Lambda2 = {o.Lambda2} must be finite and not negative."));
        Check(DeviceName.TryParse(o.Device, out _), Fmt($"Device '{o.Device}' is not 'cpu', 'cuda' or 'cuda:N'."));
        return f;
    }
}
