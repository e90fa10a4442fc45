using System.Globalization;
using Anomaly.ED;
using Anomaly.ED.Visualization;
#if TORCHSHARP
using Detector = Anomaly.ED.EdDetector;
#else
using Detector = Anomaly.ED.OnnxRuntime.OnnxDetector;
#endif

// Scores images with a detector and writes each image's heatmap overlay beside it:
//   Anomaly.ED.OnnxRuntime.Sample <model.onnx> <image>...   (the TorchSharp build takes the .edmodel)
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: Anomaly.ED.OnnxRuntime.Sample <model> <image>...");
    return 2;
}

using var detector = Detector.Load(args[0]);
var predictions = detector.Predict(args[1..], new PredictOptions { BatchSize = 8, MapAtOriginalResolution = true });
foreach (var prediction in predictions)
{
    var decision = prediction.IsAnomalous switch { true => "anomalous", false => "normal", null => "-" };
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{prediction.Score,10:F5}  {decision,-9}  {prediction.SourcePath}"));
    var overlay = HeatmapOverlay.Render(Anomaly.ED.Data.ImageDecoder.DecodeRgb(prediction.SourcePath!), prediction.Map);
    PngFile.Write(overlay, Path.ChangeExtension(prediction.SourcePath!, ".overlay.png"));
}

return 0;
