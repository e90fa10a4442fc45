using static TorchSharp.torch;

namespace Anomaly.ED.Formats;

/// <summary>Tensors already in memory (e.g. imported from ONNX), owned and disposed by the source.</summary>
internal sealed class InMemoryStateDictSource(string filePath, IReadOnlyDictionary<string, Tensor> tensors) : IStateDictSource
{
    public string FilePath { get; } = filePath;

    public IReadOnlyList<KeyValuePair<string, long[]>> Shapes { get; } = [.. tensors.Select(t => new KeyValuePair<string, long[]>(t.Key, t.Value.shape))];

    /// <summary>Returns a new handle on the held tensor (the caller may dispose it; the data stay with the source).</summary>
    public Tensor Read(string name) => tensors[name].alias();

    public void Dispose()
    {
        foreach (var tensor in tensors.Values)
        {
            tensor.Dispose();
        }
    }
}
