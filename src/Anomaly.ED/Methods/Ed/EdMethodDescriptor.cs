using System.Globalization;
using System.Text.Json;
using Anomaly.ED.Backbones;
using Anomaly.ED.Data;
using Anomaly.ED.ModelFiles;

namespace Anomaly.ED.Methods.Ed;

/// <summary>ED and its predecessor FOD: the same settings, model and training; FOD differs only in its level networks' fusion, feed-forward and attention scale.</summary>
internal sealed class EdMethodDescriptor(DetectorMethod method) : MethodDescriptor
{
    public override DetectorMethod Method { get; } = method;

    public override string DisplayName => Method.ToString().ToUpperInvariant();

    public override bool TrainsForEpochs => true;

    public override bool SupportsAddingNormalImages => false;

    public override string DefaultBackbone => EdDefaults.Backbone;

    public override IReadOnlyList<string> DefaultLevels => EdDefaults.Levels;

    internal override string OptionsGroup => nameof(DetectorOptions.Ed);

    internal override FeatureActivation Activation => FeatureActivation.PostRelu;

    internal override object? GroupOf(DetectorOptions options) => options.Ed;

    internal override void ClearSettings(DetectorOptions options) => options.Ed = null;

    internal override void Complete(DetectorOptions options)
    {
        base.Complete(options);
        options.Ed ??= new EdOptions();
        options.Ed.Network ??= new EdNetworkOptions();
        options.Ed.Training ??= new EdTrainingOptions();
        options.Ed.Network.ModelDimensions ??= [.. EdDefaults.ModelDimensions];
    }

    internal override void Validate(DetectorOptions options, Action<bool, string> check)
    {
        var ed = options.Ed!;
        var n = ed.Network;
        var dims = n.ModelDimensions ?? [];
        var levels = options.Backbone.Levels?.Count ?? 0;
        check(dims.Count == levels, Fmt($"Ed.Network.ModelDimensions has {dims.Count} entries but Backbone.Levels has {levels}; give one d_model per level."));
        foreach (var d in dims)
        {
            check(d > 0 && d % 4 == 0, Fmt($"Ed.Network.ModelDimensions entry {d} must be a positive multiple of 4 (2-D sine/cosine positional table)."));
            check(n.Heads <= 0 || d % n.Heads == 0, Fmt($"Ed.Network.ModelDimensions entry {d} is not divisible by Ed.Network.Heads = {n.Heads}."));
        }

        check(n.Heads > 0, Fmt($"Ed.Network.Heads = {n.Heads} must be positive."));
        check(n.Layers > 0, Fmt($"Ed.Network.Layers = {n.Layers} must be positive."));
        check(n.FeedForwardScale > 0, Fmt($"Ed.Network.FeedForwardScale = {n.FeedForwardScale} must be positive."));
        check(n.Dropout >= 0 && n.Dropout < 1, Fmt($"Ed.Network.Dropout = {n.Dropout} must lie in [0, 1)."));
        check(Enum.IsDefined(n.Score), Fmt($"Ed.Network.Score = {n.Score} is not a known score."));
        check(n.WithIntra || n.WithInter || n.Score == AnomalyScoreKind.Reconstruction,
            Fmt($"Ed.Network.Score = {n.Score} needs a correlation branch, but Ed.Network.WithIntra and Ed.Network.WithInter are both false."));
        check(n.Score != AnomalyScoreKind.ReconstructionTimesInter || n.WithInter,
            "Ed.Network.Score = ReconstructionTimesInter needs Ed.Network.WithInter = true.");
        check(n.Score != AnomalyScoreKind.ReconstructionTimesIntra || n.WithIntra,
            "Ed.Network.Score = ReconstructionTimesIntra needs Ed.Network.WithIntra = true.");

        var t = ed.Training;
        check(t.Epochs > 0, Fmt($"Ed.Training.Epochs = {t.Epochs} must be positive."));
        check(t.BatchSize > 0, Fmt($"Ed.Training.BatchSize = {t.BatchSize} must be positive."));
        check(t.LearningRate > 0 && double.IsFinite(t.LearningRate), Fmt($"Ed.Training.LearningRate = {t.LearningRate} must be positive and finite."));
        check(double.IsFinite(t.Lambda1) && t.Lambda1 >= 0, Fmt($"Ed.Training.Lambda1 = {t.Lambda1} must be finite and not negative."));
        check(double.IsFinite(t.Lambda2) && t.Lambda2 >= 0, Fmt($"Ed.Training.Lambda2 = {t.Lambda2} must be finite and not negative."));
        check(Enum.IsDefined(t.StepMode), Fmt($"Ed.Training.StepMode = {t.StepMode} is not a known step mode."));
        check(ed.SmoothingSigma >= 0 && double.IsFinite(ed.SmoothingSigma), Fmt($"Ed.SmoothingSigma = {ed.SmoothingSigma} must be finite and not negative."));
    }

    internal override DetectorModel Create(DetectorOptions options, IFeatureExtractor extractor, BackboneRecord backbone) => new EdModel(options, extractor, backbone);

    internal override void ReadVersion2Settings(JsonElement options, JsonSerializerOptions serializerOptions, DetectorOptions target) => target.Ed = new EdOptions
    {
        Network = options.GetProperty("Network").Deserialize<EdNetworkOptions>(serializerOptions) ?? throw new JsonException("'Network' is null."),
        Training = options.GetProperty("Training").Deserialize<EdTrainingOptions>(serializerOptions) ?? throw new JsonException("'Training' is null."),
        SmoothingSigma = options.GetProperty("SmoothingSigma").GetDouble(),
    };

    // The reference reads BTAD and MVTec 3D-AD with their aspect ratio kept (short side resized, centre crop), MVTec AD squashed to a square.
    internal override void ApplyDatasetRecipe(DetectorOptions options, ImageDataset trainingSet) =>
        options.Backbone.KeepAspectRatio = trainingSet.ReferenceTransform.ResizeShortSide is not null;

    private protected override IReadOnlyList<KeyValuePair<string, string>> Describe(DetectorOptions options)
    {
        var (n, t) = (options.Ed!.Network, options.Ed.Training);
        return
        [
            new("network", Fmt($"d_model {string.Join("/", n.ModelDimensions!)}, {n.Heads} heads, {n.Layers} layers, score {n.Score}")),
            new("training", Fmt($"{t.Epochs} epochs, batch size {t.BatchSize}, learning rate {t.LearningRate}, seed {options.Seed}")),
            new("smoothing", options.Ed.SmoothingSigma > 0 ? Fmt($"Gaussian, sigma {options.Ed.SmoothingSigma} px") : "none"),
        ];
    }

    private static string Fmt(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
