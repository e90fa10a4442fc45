using Anomaly.ED.Backbones;
using Anomaly.ED.Weights;

namespace Anomaly.ED.Methods;

/// <summary>The one place where a <see cref="DetectorMethod"/> is mapped to the model that implements it, for building and for loading alike.</summary>
internal static class MethodRegistry
{
    /// <summary>The backbone activation a method reads.</summary>
    public static FeatureActivation Activation(DetectorMethod method) => method switch
    {
        DetectorMethod.Ed or DetectorMethod.Fod => FeatureActivation.PostRelu,
        DetectorMethod.Hetmm => FeatureActivation.PreRelu,
        _ => throw Unknown(method),
    };

    /// <summary>Creates the (unfitted) model of <paramref name="options"/>' method over a ready backbone, which it then owns.</summary>
    public static DetectorModel Create(EdOptions options, IFeatureExtractor extractor, BackboneRecord backbone) => options.Method switch
    {
        DetectorMethod.Ed or DetectorMethod.Fod => new EdModel(options, extractor, backbone),
        DetectorMethod.Hetmm => new HetmmModel(options, extractor, backbone),
        _ => throw Unknown(options.Method),
    };

    private static ArgumentOutOfRangeException Unknown(DetectorMethod method) =>
        new(nameof(method), method, $"Method {method} has no model; see docs/architecture.md, 'Adding a method'.");
}
