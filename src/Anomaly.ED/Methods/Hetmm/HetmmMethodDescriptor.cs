using System.Globalization;
using System.Text.Json;
using Anomaly.ED.Backbones;
using Anomaly.ED.Data;
using Anomaly.ED.ModelFiles;

namespace Anomaly.ED.Methods.Hetmm;

/// <summary>HETMM: training-free template matching over the pre-ReLU features of normal images.</summary>
internal sealed class HetmmMethodDescriptor : MethodDescriptor
{
    public override DetectorMethod Method => DetectorMethod.Hetmm;

    public override string DisplayName => "HETMM";

    public override bool TrainsForEpochs => false;

    public override bool SupportsAddingNormalImages => true;

    public override string DefaultBackbone => HetmmDefaults.Backbone;

    public override IReadOnlyList<string> DefaultLevels => HetmmDefaults.Levels;

    internal override string OptionsGroup => nameof(DetectorOptions.Hetmm);

    internal override FeatureActivation Activation => FeatureActivation.PreRelu;

    internal override object? GroupOf(DetectorOptions options) => options.Hetmm;

    internal override void ClearSettings(DetectorOptions options) => options.Hetmm = null;

    internal override void Complete(DetectorOptions options)
    {
        base.Complete(options);
        options.Hetmm ??= new HetmmOptions();
    }

    internal override void Validate(DetectorOptions options, Action<bool, string> check)
    {
        var h = options.Hetmm!;
        var levels = options.Backbone.Levels?.Count ?? 0;
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

    internal override DetectorModel Create(DetectorOptions options, IFeatureExtractor extractor, BackboneRecord backbone) => new HetmmModel(options, extractor, backbone);

    internal override void ReadVersion2Settings(JsonElement options, JsonSerializerOptions serializerOptions, DetectorOptions target) =>
        target.Hetmm = options.GetProperty("Hetmm").Deserialize<HetmmOptions>(serializerOptions) ?? throw new JsonException("'Hetmm' is null.");

    // The reference resizes every dataset to a square and has one preset per MVTec AD category.
    internal override void ApplyDatasetRecipe(DetectorOptions options, ImageDataset trainingSet)
    {
        options.Backbone.KeepAspectRatio = false;
        if (options.Hetmm?.Parameters is null)
        {
            options.Hetmm ??= new HetmmOptions();
            options.Hetmm.Preset = trainingSet.Category is { } category && HetmmPresets.Names.Contains(category) ? category : HetmmPresets.Default;
        }
    }

    private protected override IReadOnlyList<KeyValuePair<string, string>> Describe(DetectorOptions options)
    {
        var h = options.Hetmm!;
        return
        [
            new("matching", h.Parameters is null ? $"preset {h.Preset}" : $"parameters {h.Parameters}"),
            new("templates", $"{(h.TemplateSheets is { } sheets ? Fmt($"{sheets} sheets per pixel (PTS)") : "every normal image")}{(h.HalfPrecisionTemplates ? ", half precision" : string.Empty)}"),
        ];
    }

    private static string Fmt(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
