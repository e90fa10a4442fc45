using Anomaly.ED.Data;
using Anomaly.ED.Evaluation;
using Anomaly.ED.OnnxRuntime;
using Anomaly.ED.Visualization;

namespace Anomaly.ED.Cli.Models;

/// <summary>What <c>predict</c> needs of a model, whichever kind the user gave: a model file run with TorchSharp, or an
/// exported ONNX graph run with ONNX Runtime.</summary>
internal abstract class PredictingModel : IDisposable
{
    /// <summary>The model's decision rule, if calibrated.</summary>
    public abstract Calibration? Calibration { get; }

    /// <summary>Scores image files in batches.</summary>
    public abstract IReadOnlyList<AnomalyPrediction> Predict(IReadOnlyList<string> paths, PredictOptions options);

    /// <summary>The heatmap over the prediction's source image, in the image's own geometry.</summary>
    public abstract ImageBuffer RenderOverlay(AnomalyPrediction prediction, VisualizationOptions options);

    public abstract void Dispose();

    /// <summary>Whether a path names an exported graph rather than a model file.</summary>
    public static bool IsOnnx(string path) => path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);

    /// <summary>A TorchSharp detector.</summary>
    public sealed class Torch(EdDetector detector) : PredictingModel
    {
        private readonly DetectorHeatmaps heatmaps = new(detector);

        public override Calibration? Calibration => detector.Calibration;

        public override IReadOnlyList<AnomalyPrediction> Predict(IReadOnlyList<string> paths, PredictOptions options) => detector.Predict(paths, options);

        public override ImageBuffer RenderOverlay(AnomalyPrediction prediction, VisualizationOptions options) => heatmaps.RenderOverlay(prediction, null, options);

        public override void Dispose() => detector.Dispose();
    }

    /// <summary>An exported graph; its maps come at the images' own resolution, ready for overlays.</summary>
    public sealed class Onnx(OnnxDetector detector) : PredictingModel
    {
        public override Calibration? Calibration => detector.Calibration;

        public override IReadOnlyList<AnomalyPrediction> Predict(IReadOnlyList<string> paths, PredictOptions options) =>
            detector.Predict(paths, new PredictOptions { BatchSize = options.BatchSize, MapAtOriginalResolution = true });

        public override ImageBuffer RenderOverlay(AnomalyPrediction prediction, VisualizationOptions options) =>
            HeatmapOverlay.Render(ImageDecoder.DecodeRgb(prediction.SourcePath!), prediction.Map, null, options);

        public override void Dispose() => detector.Dispose();
    }
}
