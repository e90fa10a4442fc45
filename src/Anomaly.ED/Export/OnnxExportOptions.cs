namespace Anomaly.ED.Export;

/// <summary>How an export is written: the graph's arithmetic and where its weights go (<see cref="EdDetector.ExportOnnx"/>,
/// <see cref="EdDetector.ExportOnnxInt8"/>).</summary>
internal sealed class OnnxExportOptions
{
    /// <summary>The arithmetic of the graph.</summary>
    /// <value>The default value is <see cref="OnnxPrecision.Float32"/>.</value>
    public OnnxPrecision Precision { get; set; } = OnnxPrecision.Float32;

    /// <summary>
    /// Normal images (files) whose activations set the int8 ranges; required for <see cref="OnnxPrecision.Int8"/> and unused
    /// otherwise. The training images suit; a few dozen cover the ranges.
    /// </summary>
    public IReadOnlyList<string> CalibrationImages { get; set; } = [];

    /// <summary>The initializer bytes above which the weights go to an external data file beside the model; null for the
    /// largest a single ONNX file holds (2 GiB less 64 MiB).</summary>
    public long? ExternalDataThresholdBytes { get; set; }

    /// <summary>Checks the options, naming the public parameter at fault.</summary>
    public void Validate()
    {
        if (ExternalDataThresholdBytes is < 0 or > OnnxModelWriter.DefaultSingleFileLimit)
        {
            throw new ArgumentOutOfRangeException("externalDataThresholdBytes", ExternalDataThresholdBytes, $"externalDataThresholdBytes must lie between 0 and {OnnxModelWriter.DefaultSingleFileLimit} (the largest model one ONNX file holds).");
        }

        if (Precision == OnnxPrecision.Int8)
        {
            ArgumentNullException.ThrowIfNull(CalibrationImages, "calibrationImages");
            if (CalibrationImages.Count == 0)
            {
                throw new ArgumentException("calibrationImages must name at least one normal image: its activations set the int8 ranges.", "calibrationImages");
            }

            if (CalibrationImages.Any(string.IsNullOrWhiteSpace))
            {
                throw new ArgumentException("calibrationImages holds an empty path.", "calibrationImages");
            }
        }
    }
}
