using System.Text.Json;
using Anomaly.ED.Backbones;
using Anomaly.ED.Data;
using Anomaly.ED.ModelFiles;

namespace Anomaly.ED.Methods;

/// <summary>
/// What a method is, as the rest of the library and its tools ask it: its name, its reference backbone, how it fits, and
/// how its settings read. Each method registers one descriptor (<see cref="All"/>); nothing outside its folder switches on
/// the method.
/// </summary>
public abstract class MethodDescriptor
{
    private protected MethodDescriptor()
    {
    }

    /// <summary>Every registered method, in the order of <see cref="DetectorMethod"/>.</summary>
    public static IReadOnlyList<MethodDescriptor> All => MethodRegistry.All;

    /// <summary>The method this descriptor describes.</summary>
    public abstract DetectorMethod Method { get; }

    /// <summary>The method's name as papers and reports write it (for example <c>"HETMM"</c>).</summary>
    public abstract string DisplayName { get; }

    /// <summary>Whether fitting trains for epochs (ED, FOD); otherwise fitting stores what it needs of the normal images in one pass (HETMM).</summary>
    public abstract bool TrainsForEpochs { get; }

    /// <summary>Whether normal images can be added to a fitted detector (<see cref="EdDetector.AddNormalImages(ImageDataset, IProgress{Training.TrainingProgress}?, CancellationToken)"/>).</summary>
    public abstract bool SupportsAddingNormalImages { get; }

    /// <summary>The backbone of the method's reference configuration, used when <see cref="BackboneOptions.Name"/> is null.</summary>
    public abstract string DefaultBackbone { get; }

    /// <summary>The backbone stages of the method's reference configuration, used when <see cref="BackboneOptions.Levels"/> is null.</summary>
    public abstract IReadOnlyList<string> DefaultLevels { get; }

    /// <summary>The descriptor of <paramref name="method"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="method"/> is not a registered method.</exception>
    public static MethodDescriptor For(DetectorMethod method) => MethodRegistry.Get(method);

    /// <summary>The method's own settings in <paramref name="options"/>, as name and value rows (what <c>anomaly-ed info</c> shows).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> DescribeSettings(DetectorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var completed = options.Clone();
        Complete(completed);
        return Describe(completed);
    }

    /// <summary>The name of the <see cref="DetectorOptions"/> property that holds the method's settings.</summary>
    internal abstract string OptionsGroup { get; }

    /// <summary>The backbone activation the method reads.</summary>
    internal abstract FeatureActivation Activation { get; }

    /// <summary>The method's settings in <paramref name="options"/>, or null when unset.</summary>
    internal abstract object? GroupOf(DetectorOptions options);

    /// <summary>Removes the method's settings from <paramref name="options"/> (when another method is chosen).</summary>
    internal abstract void ClearSettings(DetectorOptions options);

    /// <summary>Fills every unset value of <paramref name="options"/> that the method defines: its backbone, stages and settings group.</summary>
    internal virtual void Complete(DetectorOptions options)
    {
        options.Backbone.Name ??= DefaultBackbone;
        options.Backbone.Levels ??= [.. DefaultLevels];
    }

    /// <summary>Checks the method's rules on completed <paramref name="options"/>; <paramref name="check"/> records a failure message when its condition is false.</summary>
    internal abstract void Validate(DetectorOptions options, Action<bool, string> check);

    /// <summary>Creates the (unfitted) model of completed, validated <paramref name="options"/> over a ready backbone, which it then owns.</summary>
    internal abstract DetectorModel Create(DetectorOptions options, IFeatureExtractor extractor, BackboneRecord backbone);

    /// <summary>Reads the method's settings from the flat options of a format-version-2 model file into <paramref name="target"/>.</summary>
    internal abstract void ReadVersion2Settings(JsonElement options, JsonSerializerOptions serializerOptions, DetectorOptions target);

    /// <summary>Adapts <paramref name="options"/> to a benchmark training set as the method's reference does (geometry, per-category presets).</summary>
    internal abstract void ApplyDatasetRecipe(DetectorOptions options, ImageDataset trainingSet);

    /// <summary>The method's settings rows of completed <paramref name="options"/>.</summary>
    private protected abstract IReadOnlyList<KeyValuePair<string, string>> Describe(DetectorOptions options);
}
