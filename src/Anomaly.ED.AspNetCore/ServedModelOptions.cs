namespace Anomaly.ED.AspNetCore;

/// <summary>One hosted model: the file it is loaded from and the name requests use.</summary>
public sealed class ServedModelOptions
{
    /// <summary>
    /// The model file: an exported graph (<c>.onnx</c>, written by <c>EdDetector.ExportOnnx</c> or <c>anomaly-ed export</c>),
    /// or a model file (<c>.edmodel</c>, written by <c>EdDetector.Save</c>) where <c>AddEdModelFiles</c> is registered.
    /// </summary>
    public string Path { get; set; } = string.Empty;

    /// <summary>The name in request URLs (<c>/v1/models/{name}/predict</c>): letters, digits, '.', '_' and '-'.</summary>
    /// <value>The default value is <see langword="null"/>: the file name without its extension.</value>
    public string? Name { get; set; }

    /// <summary>The name the model is served under: <see cref="Name"/>, else the file name without its extension.</summary>
    public string ResolvedName => Name ?? System.IO.Path.GetFileNameWithoutExtension(Path);
}
