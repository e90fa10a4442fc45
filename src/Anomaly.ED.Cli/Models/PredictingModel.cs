using Anomaly.ED.Data;
using Anomaly.ED.Evaluation;
using Anomaly.ED.OnnxRuntime;
using Anomaly.ED.Visualization;

namespace Anomaly.ED.Cli.Models;

/// <summary>What <c>predict</c> and <c>test</c> need of a model, whichever kind the user gave: a model file run with
/// TorchSharp, or an exported ONNX graph run with ONNX Runtime.</summary>
internal abstract class PredictingModel : IDisposable
{
    /// <summary>The method the model was trained with.</summary>
    public abstract DetectorMethod Method { get; }

    /// <summary>The model's decision rule, if calibrated.</summary>
    public abstract Calibration? Calibration { get; }

    /// <summary>Scores image files in batches.</summary>
    public abstract IReadOnlyList<AnomalyPrediction> Predict(IReadOnlyList<string> paths, PredictOptions options);

    /// <summary>Scores a labelled test set once, handing every image (prediction and mask at the model's resolution) to <paramref name="onImage"/>.</summary>
    public abstract EvaluationReport Evaluate(ImageDataset testSet, IProgress<int> progress, Action<EvaluatedImage> onImage, CancellationToken cancellationToken);

    /// <summary>The heatmap over the prediction's source image, in the image's own geometry, with the true defect outlined when a mask is given.</summary>
    public abstract ImageBuffer RenderOverlay(AnomalyPrediction prediction, string? maskPath, VisualizationOptions options);

    public abstract void Dispose();

    /// <summary>Whether a path names an exported graph rather than a model file.</summary>
    public static bool IsOnnx(string path) => path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);

    /// <summary>A TorchSharp detector.</summary>
    public sealed class Torch(EdDetector detector) : PredictingModel
    {
        private readonly DetectorHeatmaps heatmaps = new(detector);

        public override DetectorMethod Method => detector.Method;

        public override Calibration? Calibration => detector.Calibration;

        public override IReadOnlyList<AnomalyPrediction> Predict(IReadOnlyList<string> paths, PredictOptions options) => detector.Predict(paths, options);

        public override EvaluationReport Evaluate(ImageDataset testSet, IProgress<int> progress, Action<EvaluatedImage> onImage, CancellationToken cancellationToken) =>
            detector.Evaluate(testSet, progress, onImage, cancellationToken);

        public override ImageBuffer RenderOverlay(AnomalyPrediction prediction, string? maskPath, VisualizationOptions options) => heatmaps.RenderOverlay(prediction, maskPath, options);

        public override void Dispose() => detector.Dispose();
    }

    /// <summary>An exported graph; <c>predict</c> asks for maps at the images' own resolution, ready for overlays.</summary>
    public sealed class Onnx(OnnxDetector detector) : PredictingModel
    {
        // Images decoded and scored per batch: the graph runs HETMM and ED faster per image at batch 8 than at 1 (an int8
        // HETMM graph at 1 took 32 ms per image against 19 ms at 8, docs/benchmarks.md).
        private const int Batch = 8;

        public override DetectorMethod Method => detector.Method;

        public override Calibration? Calibration => detector.Calibration;

        public override IReadOnlyList<AnomalyPrediction> Predict(IReadOnlyList<string> paths, PredictOptions options) =>
            detector.Predict(paths, new PredictOptions { BatchSize = options.BatchSize, MapAtOriginalResolution = true });

        // The unsmoothed maps give the reference's pixel AUROC, so the report is the model file's.
        public override EvaluationReport Evaluate(ImageDataset testSet, IProgress<int> progress, Action<EvaluatedImage> onImage, CancellationToken cancellationToken) =>
            EvaluationReport.Compute(
                testSet,
                images => detector.Predict(images, new PredictOptions { IncludeUnsmoothedMap = true, BatchSize = Batch }),
                detector.TransformMask,
                Batch,
                progress,
                onImage,
                cancellationToken);

        public override ImageBuffer RenderOverlay(AnomalyPrediction prediction, string? maskPath, VisualizationOptions options)
        {
            var image = ImageDecoder.DecodeRgb(prediction.SourcePath!);
            var truth = maskPath is null ? null : ImageDecoder.DecodeGray(maskPath);
            return HeatmapOverlay.Render(image, detector.ToImageGeometry(prediction.Map, image.Height, image.Width), truth, options);
        }

        public override void Dispose() => detector.Dispose();
    }
}
