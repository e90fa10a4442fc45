using Anomaly.ED.Data;

namespace Anomaly.ED.Methods;

/// <summary>One scored dataset image: its score, its level-averaged and smoothed maps (row-major, model input size) and its ground-truth mask when asked for.</summary>
internal sealed record ScoredImage(DatasetItem Item, float Score, float[] Combined, float[] Smoothed, bool[]? Mask);
