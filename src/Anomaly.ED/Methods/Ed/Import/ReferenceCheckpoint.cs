using System.Collections;
using System.Globalization;
using Anomaly.ED.Formats;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Import;

/// <summary>
/// A model trained with the reference ED/FOD Python code: the checkpoint its trainer writes
/// (<c>torch.save({'state_dict': [level1.state_dict(), level2.state_dict(), ...]})</c>, e.g. <c>bottle-pix.pth</c>)
/// and the reference features its <c>create_ref_features.py</c> writes (a pickle of numpy (C, H·W) arrays keyed
/// <c>layer0</c>, <c>layer1</c>, <c>layer2</c> for backbone layer1, layer2, layer3, e.g. <c>rfeatures_w50/bottle.pkl</c>).
/// Both are read without running code (<see cref="PyTorchCheckpointFile"/>, <see cref="SafePickle"/>).
/// </summary>
/// <remarks>
/// The reference model looks its features up by token count as if the input were 256 × 256; here they are matched by
/// backbone stage (layerN ↔ <c>layer{N-1}</c>), which is the same at 256 × 256 and also right at other sizes.
/// The instance owns its tensors.
/// </remarks>
internal sealed class ReferenceCheckpoint : IDisposable
{
    private ReferenceCheckpoint(string checkpointPath, string referenceFeaturesPath, IReadOnlyList<string> stages, List<Dictionary<string, Tensor>> levelStates, List<Tensor> references)
    {
        CheckpointPath = checkpointPath;
        ReferenceFeaturesPath = referenceFeaturesPath;
        Stages = stages;
        LevelStates = levelStates;
        References = references;
    }

    /// <summary>The checkpoint file.</summary>
    public string CheckpointPath { get; }

    /// <summary>The reference-features file.</summary>
    public string ReferenceFeaturesPath { get; }

    /// <summary>The backbone stage of each level, e.g. <c>layer2</c>, <c>layer3</c>.</summary>
    public IReadOnlyList<string> Stages { get; }

    /// <summary>Each level's state dict, by the reference's parameter names.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, Tensor>> LevelStates { get; }

    /// <summary>Each level's reference features (C, L), float32.</summary>
    public IReadOnlyList<Tensor> References { get; }

    /// <summary>Reads a reference checkpoint and its reference features for the given levels.</summary>
    /// <param name="checkpointPath">The trainer's <c>.pth</c> file.</param>
    /// <param name="referenceFeaturesPath">The <c>create_ref_features.py</c> <c>.pkl</c> file.</param>
    /// <param name="stages">The backbone stage of each level, in the checkpoint's order (ED: <c>layer2</c>, <c>layer3</c>).</param>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="CheckpointFormatException">A file is damaged, refers to Python code, or does not hold what the reference writes; the message says what was found.</exception>
    public static ReferenceCheckpoint Read(string checkpointPath, string referenceFeaturesPath, IReadOnlyList<string> stages)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(checkpointPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(referenceFeaturesPath);
        ArgumentNullException.ThrowIfNull(stages);
        var levelStates = new List<Dictionary<string, Tensor>>();
        var references = new List<Tensor>();
        try
        {
            ReadLevelStates(checkpointPath, stages.Count, levelStates);
            ReadReferences(referenceFeaturesPath, stages, references);
            return new ReferenceCheckpoint(Path.GetFullPath(checkpointPath), Path.GetFullPath(referenceFeaturesPath), [.. stages], levelStates, references);
        }
        catch
        {
            Dispose(levelStates, references);
            throw;
        }
    }

    /// <summary>
    /// Checks every level against the module that will hold it: the same parameter names and shapes, and reference
    /// features of (C, L). Nothing is copied.
    /// </summary>
    /// <param name="levels">The level networks, one per stage.</param>
    /// <param name="referenceShape">The (C, L) each level's reference features must have.</param>
    /// <exception cref="StateDictMismatchException">A level's names or shapes differ; every problem of the first such level is listed.</exception>
    /// <exception cref="CheckpointFormatException">The level count or a reference-feature shape differs.</exception>
    public void Validate(IReadOnlyList<nn.Module> levels, Func<int, (long Channels, long Tokens)> referenceShape)
    {
        ArgumentNullException.ThrowIfNull(levels);
        ArgumentNullException.ThrowIfNull(referenceShape);
        if (levels.Count != LevelStates.Count)
        {
            throw new CheckpointFormatException(CheckpointPath, $"it holds {LevelStates.Count} levels but the detector has {levels.Count}.");
        }

        for (var i = 0; i < levels.Count; i++)
        {
            using var scope = NewDisposeScope();
            var expected = levels[i].state_dict();
            var state = LevelStates[i];
            var missing = expected.Keys.Where(k => !state.ContainsKey(k)).ToList();
            var unexpected = state.Keys.Where(k => !expected.ContainsKey(k)).ToList();
            var mismatched = expected.Where(e => state.TryGetValue(e.Key, out var value) && !value.shape.SequenceEqual(e.Value.shape))
                .Select(e => $"{e.Key}: expected {SafetensorsDTypes.FormatShape(e.Value.shape)}, got {SafetensorsDTypes.FormatShape(state[e.Key].shape)}")
                .ToList();
            if (missing.Count > 0 || unexpected.Count > 0 || mismatched.Count > 0)
            {
                throw new StateDictMismatchException(missing, unexpected, mismatched, $"level {i} ({Stages[i]}) from '{CheckpointPath}'");
            }

            var (channels, tokens) = referenceShape(i);
            if (References[i].shape[0] != channels || References[i].shape[1] != tokens)
            {
                throw new CheckpointFormatException(
                    ReferenceFeaturesPath,
                    string.Create(CultureInfo.InvariantCulture, $"the reference features of {Stages[i]} are {SafetensorsDTypes.FormatShape(References[i].shape)}; the detector's level needs ({channels}, {tokens}): the backbone, stages or image size differ from the training's."));
            }
        }
    }

    /// <summary>Disposes the tensors.</summary>
    public void Dispose() => Dispose(LevelStates.Cast<Dictionary<string, Tensor>>().ToList(), References.ToList());

    private static void ReadLevelStates(string path, int levelCount, List<Dictionary<string, Tensor>> levelStates)
    {
        using var file = PyTorchCheckpointFile.Open(path);
        if (file.Root is not Hashtable root || root["state_dict"] is not (ArrayList or object[]))
        {
            throw new CheckpointFormatException(file.FilePath, "it is not a reference ED/FOD checkpoint: those hold {'state_dict': [level 1 state dict, level 2 state dict, ...]}.");
        }

        var levels = root["state_dict"] is ArrayList list ? list.Cast<object?>().ToList() : [.. (object?[])root["state_dict"]!];
        if (levels.Count != levelCount)
        {
            throw new CheckpointFormatException(file.FilePath, $"it holds {levels.Count} level state dicts; {levelCount} levels were asked for.");
        }

        for (var i = 0; i < levels.Count; i++)
        {
            if (levels[i] is not Hashtable table || !StateDictSources.TryTensors(table, out var tensors))
            {
                throw new CheckpointFormatException(file.FilePath, $"'state_dict'[{i}] is not a dict of tensors.");
            }

            var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            levelStates.Add(state);
            foreach (var (name, reference) in tensors)
            {
                state.Add(name, file.ReadTensor(reference));
            }
        }
    }

    private static void ReadReferences(string path, IReadOnlyList<string> stages, List<Tensor> references)
    {
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"Reference-features file '{fullPath}' does not exist.", fullPath);
        }

        object? root;
        using (var stream = File.OpenRead(fullPath))
        {
            root = SafePickle.Load(stream, fullPath, persistentLoad: null);
        }

        SafePickle.CheckTree(root, fullPath, "the reference features");
        if (root is not Hashtable table)
        {
            throw new CheckpointFormatException(fullPath, "it is not a reference-features file: those hold a dict of numpy arrays keyed layer0, layer1, layer2.");
        }

        foreach (var stage in stages)
        {
            var key = ReferenceKey(stage);
            var value = table[key] is ArrayList { Count: > 0 } list ? list[0] : table[key];
            if (value is not NumpyArray array || array.Shape.Length != 2)
            {
                throw new CheckpointFormatException(fullPath, $"it has no (C, H·W) numpy array under '{key}' (backbone {stage}); keys: {string.Join(", ", table.Keys.Cast<object>())}.");
            }

            try
            {
                using var values = array.ToTensor();
                references.Add(values.to_type(ScalarType.Float32));
            }
            catch (FormatException e)
            {
                throw new CheckpointFormatException(fullPath, $"'{key}': {e.Message}", e);
            }
        }
    }

    private static string ReferenceKey(string stage) =>
        stage.StartsWith("layer", StringComparison.Ordinal) && int.TryParse(stage.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"layer{index - 1}")
            : throw new ArgumentException($"Stage '{stage}' is not layer1 … layer4.", nameof(stage));

    private static void Dispose(List<Dictionary<string, Tensor>> levelStates, List<Tensor> references)
    {
        foreach (var tensor in levelStates.SelectMany(s => s.Values).Concat(references))
        {
            tensor.Dispose();
        }
    }
}
