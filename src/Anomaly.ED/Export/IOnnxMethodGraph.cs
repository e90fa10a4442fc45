namespace Anomaly.ED.Export;

/// <summary>
/// What a method adds to an exported graph: everything from the backbone's stage outputs to the map that
/// <c>Predict</c> returns, the map before smoothing (which evaluation needs) and the image score. The exporter owns the rest (image input, normalisation, backbone,
/// calibration, outputs, metadata, the file), so a method brings only this.
/// </summary>
internal interface IOnnxMethodGraph
{
    /// <summary>Adds the method's nodes.</summary>
    /// <param name="graph">The graph being built.</param>
    /// <param name="features">The backbone's stage outputs (B, C, h, w), in the extractor's order.</param>
    /// <returns>The (B, H, W) map before smoothing (<c>AnomalyMaps.Combined</c>), the (B, H, W) anomaly map and the (B) image score.</returns>
    (string Unsmoothed, string Map, string Score) AddGraph(OnnxGraphBuilder graph, IReadOnlyList<string> features);
}
