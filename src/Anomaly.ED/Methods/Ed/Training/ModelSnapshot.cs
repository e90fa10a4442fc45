using Anomaly.ED.Formats;
using Anomaly.ED.Methods.Ed.Network;
using Anomaly.ED.Runtime;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Training;

/// <summary>A copy of the level networks' parameters and reference features, to restore after a cancelled epoch or to keep the best epoch.</summary>
internal sealed class ModelSnapshot : IDisposable
{
    private readonly Dictionary<string, Tensor>[] states;
    private readonly Tensor?[] references;

    private ModelSnapshot(Dictionary<string, Tensor>[] states, Tensor?[] references)
    {
        this.states = states;
        this.references = references;
    }

    public static ModelSnapshot Take(IReadOnlyList<EdLevelNetwork> networks)
    {
        using var noGrad = no_grad();
        var states = networks.Select(n => n.state_dict().ToDictionary(kv => kv.Key, kv => TensorCopies.DetachedCpuCopy(kv.Value))).ToArray();
        var references = networks.Select(n => n.HasReferenceFeatures ? n.GetReferenceFeatures().DetachFromDisposeScope() : null).ToArray();
        return new ModelSnapshot(states, references);
    }

    public void Restore(IReadOnlyList<EdLevelNetwork> networks)
    {
        for (var i = 0; i < networks.Count; i++)
        {
            networks[i].LoadStateDict(states[i]);
            if (references[i] is { } reference)
            {
                networks[i].SetReferenceFeatures(reference);
            }
        }
    }

    public void Dispose()
    {
        foreach (var tensor in states.SelectMany(s => s.Values).Concat(references.OfType<Tensor>()))
        {
            tensor.Dispose();
        }
    }
}
