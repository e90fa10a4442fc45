namespace Anomaly.ED.AspNetCore.Models;

/// <summary>A hosted model as <c>GET /v1/models/{name}</c> describes it (what <c>anomaly-ed info</c> shows, without local paths).</summary>
/// <param name="File">The model file's name (never its folder: requests learn nothing of the file system).</param>
/// <param name="FileSizeBytes">The file's size.</param>
/// <param name="FormatVersion">The model file format version.</param>
/// <param name="LibraryVersion">The Anomaly.ED version that wrote the file.</param>
/// <param name="ContentSha256">The verified hash of the file's content.</param>
/// <param name="Method">The method's display name.</param>
/// <param name="Backbone">The backbone architecture.</param>
/// <param name="BackbonePretrained">Whether the backbone weights were pretrained.</param>
/// <param name="Levels">The backbone stages the method reads.</param>
/// <param name="InputHeight">The model's input height.</param>
/// <param name="InputWidth">The model's input width.</param>
/// <param name="Threshold">The calibrated threshold on raw scores, or null when uncalibrated.</param>
/// <param name="NormalizedScores">Whether the calibration normalises scores to [0, 1].</param>
/// <param name="TrainingImages">How many normal images the model was fitted on, when recorded.</param>
/// <param name="Settings">The method's settings: for a model file as <c>MethodDescriptor.DescribeSettings</c> lists them, for an exported graph its model's options as configuration names them.</param>
internal sealed record ModelDetails(
    string File,
    long FileSizeBytes,
    int FormatVersion,
    string? LibraryVersion,
    string ContentSha256,
    string Method,
    string Backbone,
    bool BackbonePretrained,
    IReadOnlyList<string> Levels,
    int InputHeight,
    int InputWidth,
    double? Threshold,
    bool NormalizedScores,
    int? TrainingImages,
    IReadOnlyDictionary<string, string> Settings);
