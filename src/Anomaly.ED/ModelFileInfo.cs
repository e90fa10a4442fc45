using System.Globalization;
using Anomaly.ED.Evaluation;
using Anomaly.ED.Formats;
using Anomaly.ED.Methods;
using Anomaly.ED.ModelFiles;

namespace Anomaly.ED;

/// <summary>
/// What a model file holds, read without building a detector: the method, the options, the backbone and the fingerprint
/// of its weights, the calibration, the training data summary and the format. <see cref="Read"/> verifies the content hash, so a file that was
/// modified after it was written is rejected here as it is by <see cref="EdDetector.Load"/>.
/// </summary>
public sealed class ModelFileInfo
{
    private readonly DetectorOptions options;

    private ModelFileInfo(string path, long sizeBytes, IReadOnlyDictionary<string, string> metadata, ModelFileContent content)
    {
        FilePath = path;
        FileSizeBytes = sizeBytes;
        FormatVersion = int.Parse(metadata["format_version"], NumberStyles.None, CultureInfo.InvariantCulture);
        LibraryVersion = metadata.GetValueOrDefault("library_version");
        ContentSha256 = metadata.GetValueOrDefault("content_sha256") ?? string.Empty;
        options = ModelOptionsCodec.Read(content, path);
        BackboneArchitecture = content.Backbone.Architecture;
        BackboneFingerprint = content.Backbone.Fingerprint;
        BackbonePretrained = content.Backbone.Pretrained;
        BackboneEmbedded = content.Backbone.Embedded;
        BackboneSource = content.Backbone.Source;
        Calibration = content.Calibration;
        StateTensors = content.State.Count;
        StateParameters = content.State.Values.Sum(t => t.numel());
        CheckpointEpochs = content.Training is { } training ? (training.EpochsCompleted, training.Epochs) : null;
        TrainingData = content.TrainingData;
    }

    /// <summary>The full path of the file.</summary>
    public string FilePath { get; }

    /// <summary>The file size in bytes.</summary>
    public long FileSizeBytes { get; }

    /// <summary>The model file format version (see docs/model-files.md).</summary>
    public int FormatVersion { get; }

    /// <summary>The version of the library that wrote the file, when recorded.</summary>
    public string? LibraryVersion { get; }

    /// <summary>The SHA-256 of the file's metadata and tensors, as recorded and verified.</summary>
    public string ContentSha256 { get; }

    /// <summary>The detection method.</summary>
    public DetectorMethod Method => options.Method;

    /// <summary>A copy of the options that define the model (runtime settings are the defaults).</summary>
    public DetectorOptions Options => options.Clone();

    /// <summary>The backbone stages the method reads.</summary>
    public IReadOnlyList<string> Levels => [.. options.Backbone.Levels!];

    /// <summary>The backbone architecture.</summary>
    public string BackboneArchitecture { get; }

    /// <summary>The fingerprint of the backbone weights the model was trained with; loading checks it.</summary>
    public string BackboneFingerprint { get; }

    /// <summary>Whether the backbone weights were pretrained (a file or a catalog checkpoint) rather than random.</summary>
    public bool BackbonePretrained { get; }

    /// <summary>Whether the backbone weights are stored in the file.</summary>
    public bool BackboneEmbedded { get; }

    /// <summary>Where the backbone weights came from (a file path or a catalog checkpoint), when recorded.</summary>
    public string? BackboneSource { get; }

    /// <summary>The decision rule saved with the model, or null when it was not calibrated.</summary>
    public Calibration? Calibration { get; }

    /// <summary>How many tensors the method's state holds (backbone excluded).</summary>
    public int StateTensors { get; }

    /// <summary>How many numbers the method's state holds (backbone excluded).</summary>
    public long StateParameters { get; }

    /// <summary>For a training checkpoint, the epochs completed and planned; null for a finished model.</summary>
    public (int Completed, int Planned)? CheckpointEpochs { get; }

    /// <summary>What the model learned from (sources, image counts and sizes, when, epochs or templates), or null when the
    /// file does not record it (files written before the library did, and training checkpoints).</summary>
    public TrainingDataSummary? TrainingData { get; }

    /// <summary>Reads and verifies a model file.</summary>
    /// <param name="path">The model file.</param>
    /// <returns>What the file holds.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ModelFileException">The file is not a model file, is newer than this library, is corrupt, or its content hash does not match.</exception>
    public static ModelFileInfo Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        using var content = ModelFile.Load(full);
        using var file = SafetensorsFile.Open(full);
        return new ModelFileInfo(full, new FileInfo(full).Length, file.Metadata, content);
    }
}
