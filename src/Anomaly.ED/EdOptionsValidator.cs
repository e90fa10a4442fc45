using System.Globalization;
using Anomaly.ED.Backbones;
using Anomaly.ED.Templates;
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

    /// <summary>The problems of options read from a model file: the same rules except that the recorded weights source need not exist here (the file may embed the weights, or the caller gives them).</summary>
    internal static IReadOnlyList<string> ModelFileFailures(EdOptions options) => Failures(options, checkWeightsSource: false);

    private static List<string> Failures(EdOptions o, bool checkWeightsSource = true)
    {
        var f = new List<string>();
        void Check(bool ok, string message)
        {
            if (!ok)
            {
                f.Add(message);
            }
        }

        if (o.Backbone is null || o.Network is null || o.Training is null || o.Hetmm is null || o.Runtime is null)
        {
            f.Add("Backbone, Network, Training, Hetmm and Runtime must not be null.");
            return f;
        }

        Check(Enum.IsDefined(o.Method), Fmt($"Method = {o.Method} is not a known method ({string.Join(", ", Enum.GetNames<DetectorMethod>())})."));
        CheckBackbone(o.Backbone, checkWeightsSource, Check);
        if (o.Method is DetectorMethod.Ed or DetectorMethod.Fod)
        {
            CheckNetwork(o.Network, o.Backbone.Levels?.Count ?? 0, Check);
            CheckTraining(o.Training, Check);
        }

        if (o.Method == DetectorMethod.Hetmm)
        {
            CheckHetmm(o.Hetmm, o.Backbone.Levels?.Count ?? 0, Check);
        }

        Check(o.SmoothingSigma >= 0 && double.IsFinite(o.SmoothingSigma), Fmt($"SmoothingSigma = {o.SmoothingSigma} must be finite and not negative."));
        Check(DeviceName.TryParse(o.Runtime.Device, out _), Fmt($"Runtime.Device '{o.Runtime.Device}' is not 'cpu', 'cuda' or 'cuda:N'."));
        Check(o.Runtime.IntraOpThreads is null or >= 0, Fmt($"Runtime.IntraOpThreads = {o.Runtime.IntraOpThreads} must be null (physical cores), 0 (keep the process's setting) or positive."));
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

        check(b.ImageHeight is >= 32 and <= EdDefaults.MaxImageSize, Fmt($"Backbone.ImageHeight = {b.ImageHeight} must lie in [32, {EdDefaults.MaxImageSize}] pixels."));
        check(b.ImageWidth is >= 32 and <= EdDefaults.MaxImageSize, Fmt($"Backbone.ImageWidth = {b.ImageWidth} must lie in [32, {EdDefaults.MaxImageSize}] pixels."));
    }

    private static void CheckNetwork(EdNetworkOptions n, int levels, Action<bool, string> check)
    {
        var dims = n.ModelDimensions ?? [];
        check(dims.Count == levels, Fmt($"Network.ModelDimensions has {dims.Count} entries but Backbone.Levels has {levels}; give one d_model per level."));
        foreach (var d in dims)
        {
            check(d > 0 && d % 4 == 0, Fmt($"Network.ModelDimensions entry {d} must be a positive multiple of 4 (2-D sine/cosine positional table)."));
            check(n.Heads <= 0 || d % n.Heads == 0, Fmt($"Network.ModelDimensions entry {d} is not divisible by Network.Heads = {n.Heads}."));
        }

        check(n.Heads > 0, Fmt($"Network.Heads = {n.Heads} must be positive."));
        check(n.Layers > 0, Fmt($"Network.Layers = {n.Layers} must be positive."));
        check(n.FeedForwardScale > 0, Fmt($"Network.FeedForwardScale = {n.FeedForwardScale} must be positive."));
        check(n.Dropout >= 0 && n.Dropout < 1, Fmt($"Network.Dropout = {n.Dropout} must lie in [0, 1)."));
        check(n.WithIntra || n.WithInter || n.Score == AnomalyScoreKind.Reconstruction,
            Fmt($"Network.Score = {n.Score} needs a correlation branch, but Network.WithIntra and Network.WithInter are both false."));
        check(n.Score != AnomalyScoreKind.ReconstructionTimesInter || n.WithInter,
            "Network.Score = ReconstructionTimesInter needs Network.WithInter = true.");
        check(n.Score != AnomalyScoreKind.ReconstructionTimesIntra || n.WithIntra,
            "Network.Score = ReconstructionTimesIntra needs Network.WithIntra = true.");
    }

    private static void CheckTraining(TrainingOptions t, Action<bool, string> check)
    {
        check(t.Epochs > 0, Fmt($"Training.Epochs = {t.Epochs} must be positive."));
        check(t.BatchSize > 0, Fmt($"Training.BatchSize = {t.BatchSize} must be positive."));
        check(t.LearningRate > 0 && double.IsFinite(t.LearningRate), Fmt($"Training.LearningRate = {t.LearningRate} must be positive and finite."));
        check(double.IsFinite(t.Lambda1) && t.Lambda1 >= 0, Fmt($"Training.Lambda1 = {t.Lambda1} must be finite and not negative."));
        check(double.IsFinite(t.Lambda2) && t.Lambda2 >= 0, Fmt($"Training.Lambda2 = {t.Lambda2} must be finite and not negative."));
        check(Enum.IsDefined(t.StepMode), Fmt($"Training.StepMode = {t.StepMode} is not a known step mode."));
    }

    private static void CheckHetmm(HetmmOptions h, int levels, Action<bool, string> check)
    {
        string? text = h.Parameters;
        if (text is null)
        {
            var known = h.Preset is not null && HetmmPresets.TryGet(h.Preset, out text);
            check(known, Fmt($"Hetmm.Preset '{h.Preset}' is unknown; known presets: {string.Join(", ", HetmmPresets.Names)}."));
        }

        if (text is not null)
        {
            var source = h.Parameters is null ? Fmt($"Hetmm.Preset '{h.Preset}'") : "Hetmm.Parameters";
            if (HetmmConfiguration.TryParse(text, out var configuration, out var error))
            {
                check(configuration.Levels.Count == levels, Fmt($"{source} has {configuration.Levels.Count} levels but Backbone.Levels has {levels}; give one level of parameters per backbone stage."));
            }
            else
            {
                check(false, Fmt($"{source} '{text}' is invalid: {error}"));
            }
        }

        check(h.TemplateSheets is null or > 0, Fmt($"Hetmm.TemplateSheets = {h.TemplateSheets} must be positive (or null for the full template set)."));
        check(h.MatchingMemoryMegabytes > 0, Fmt($"Hetmm.MatchingMemoryMegabytes = {h.MatchingMemoryMegabytes} must be positive."));
    }

    private static string Fmt(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
