using Anomaly.ED.Evaluation;
using Anomaly.ED.Scoring;
using DataType = Anomaly.ED.Formats.Onnx.TensorProto.Types.DataType;

namespace Anomaly.ED.Export;

/// <summary>The post-processing the methods share, as ONNX nodes: upsampling and averaging of level grids, Gaussian
/// smoothing, the image score and the calibrated decision.</summary>
internal static class OnnxPostProcessing
{
    public const string MapOutput = "anomaly_map";
    public const string UnsmoothedMapOutput = "unsmoothed_map";
    public const string ScoreOutput = "score";
    public const string NormalizedScoreOutput = "normalized_score";
    public const string DecisionOutput = "is_anomalous";

    /// <summary>A (B, h, w) grid resized bilinearly with aligned corners to (B, height, width), as
    /// <see cref="AnomalyMapGenerator.Sum"/> does.</summary>
    public static string Upsample(OnnxGraphBuilder g, string grid, int height, int width)
    {
        var channel = g.Unsqueeze(grid, 1);

        // Sizes rather than scales: a scale such as 64/7 in float would not give exactly the target size.
        var batchAndChannel = g.Slice(g.Node("Shape", [channel]), 0, 0, 2);
        var sizes = g.Node("Concat", [batchAndChannel, g.Int64s(height, width)], OnnxGraphBuilder.Int("axis", 0));
        var resized = g.Node(
            "Resize",
            [channel, string.Empty, string.Empty, sizes],
            OnnxGraphBuilder.String("mode", "linear"),
            OnnxGraphBuilder.String("coordinate_transformation_mode", "align_corners"));
        return g.Squeeze(resized, 1);
    }

    /// <summary>The mean of the levels upsampled to the input size (<see cref="AnomalyMapGenerator.Combine"/>): summed in
    /// level order, then divided by the count.</summary>
    public static string CombineLevels(OnnxGraphBuilder g, IReadOnlyList<string> grids, int height, int width)
    {
        var sum = Upsample(g, grids[0], height, width);
        for (var i = 1; i < grids.Count; i++)
        {
            sum = g.Add(sum, Upsample(g, grids[i], height, width));
        }

        return g.Div(sum, g.Scalar(grids.Count));
    }

    /// <summary><see cref="GaussianMapSmoother"/> on (B, H, W) maps: the same taps, columns then rows, with scipy's
    /// half-sample symmetric extension done by gathering mirrored rows and columns (ONNX's reflect pad skips the edge).</summary>
    public static string Smooth(OnnxGraphBuilder g, string maps, GaussianMapSmoother smoother, int height, int width)
    {
        using var scope = g.Scope("smooth");
        var radius = smoother.Radius;
        var taps = smoother.Weights.Select(w => (float)w).ToArray();
        var image = g.Unsqueeze(maps, 1);
        var rows = g.Node("Gather", [image, g.Int64s(MirroredIndices(height, radius))], OnnxGraphBuilder.Int("axis", 2));
        var vertical = g.Node("Conv", [rows, g.Constant("vertical_taps", taps, 1, 1, taps.Length, 1)]);
        var columns = g.Node("Gather", [vertical, g.Int64s(MirroredIndices(width, radius))], OnnxGraphBuilder.Int("axis", 3));
        var horizontal = g.Node("Conv", [columns, g.Constant("horizontal_taps", taps, 1, 1, 1, taps.Length)]);
        return g.Squeeze(horizontal, 1);
    }

    /// <summary>The image score: the maximum of each map.</summary>
    public static string MaximumScore(OnnxGraphBuilder g, string maps) => g.ReduceMax(maps, keepDims: false, 1, 2);

    /// <summary>Declares the map outputs (smoothed, and before smoothing for the reference's pixel AUROC), the score and, when the model is calibrated, <c>is_anomalous</c> (score at or above
    /// the threshold) and, with a normalisation, <c>normalized_score</c>, both computed in float64 as <see cref="Calibration"/> does.</summary>
    public static void AddOutputs(OnnxGraphBuilder g, string unsmoothed, string map, string score, int height, int width, Calibration? calibration)
    {
        g.Output(map, MapOutput, DataType.Float, OnnxBackbone.BatchDimension, height, width);
        g.Output(unsmoothed, UnsmoothedMapOutput, DataType.Float, OnnxBackbone.BatchDimension, height, width);
        g.Output(score, ScoreOutput, DataType.Float, OnnxBackbone.BatchDimension);
        if (calibration is null)
        {
            return;
        }

        using var scope = g.Scope("calibration");
        var wide = g.Node("Cast", [score], OnnxGraphBuilder.Int("to", (long)DataType.Double));
        if (calibration.Normalization is { } n)
        {
            var shifted = g.Add(g.Div(g.Sub(wide, g.DoubleScalar(n.Threshold)), g.DoubleScalar(n.Maximum - n.Minimum)), g.DoubleScalar(0.5));
            var clamped = g.Node("Min", [g.Node("Max", [shifted, g.DoubleScalar(0.0)]), g.DoubleScalar(1.0)]);
            var normalized = g.Node("Cast", [clamped], OnnxGraphBuilder.Int("to", (long)DataType.Float));
            g.Output(normalized, NormalizedScoreOutput, DataType.Float, OnnxBackbone.BatchDimension);
        }

        var decision = g.Node("GreaterOrEqual", [wide, g.DoubleScalar(calibration.Threshold)]);
        g.Output(decision, DecisionOutput, DataType.Bool, OnnxBackbone.BatchDimension);
    }

    // Source rows for a line extended by radius on both sides: ... c b a | a b c ... x y z | z y x ...
    private static long[] MirroredIndices(int length, int radius)
    {
        var period = 2 * length;
        var indices = new long[length + 2 * radius];
        for (var i = 0; i < indices.Length; i++)
        {
            var k = (((i - radius) % period) + period) % period;
            indices[i] = k < length ? k : period - 1 - k;
        }

        return indices;
    }
}
