using Anomaly.ED.Export;

namespace Anomaly.ED;

/// <summary>Settings of <see cref="EdDetector.ExportOnnx"/>.</summary>
public sealed class OnnxExportOptions
{
    /// <summary>The total size of the weights above which they are written to an external data file beside the model
    /// (<c>&lt;file&gt;.data</c>, which must then travel with it) instead of into the model file.</summary>
    /// <value>The default value is 2 GiB less 64 MiB: protobuf cannot hold a larger single file. Lower values are allowed; 0 always externalises.</value>
    public long ExternalDataThresholdBytes { get; set; } = OnnxModelWriter.DefaultSingleFileLimit;

    /// <summary>Throws an <see cref="ArgumentException"/> naming an invalid setting.</summary>
    public void Validate()
    {
        if (ExternalDataThresholdBytes < 0 || ExternalDataThresholdBytes > OnnxModelWriter.DefaultSingleFileLimit)
        {
            throw new ArgumentException($"OnnxExportOptions.ExternalDataThresholdBytes = {ExternalDataThresholdBytes} must be between 0 and {OnnxModelWriter.DefaultSingleFileLimit} (the largest model protobuf holds).");
        }
    }
}
