using TorchSharp;
using static TorchSharp.torch;

namespace Anomaly.ED.Runtime;

/// <summary>
/// A lazily made reduced-precision copy of some float32 weights (a module, or several), shared by concurrent predictions
/// and dropped when the weights change, so that float32 weights stay as they are for parity mode and training.
/// </summary>
/// <typeparam name="T">The copy; disposed when dropped.</typeparam>
internal sealed class ReducedCopy<T>(Func<ScalarType, T> create) : IDisposable
    where T : class, IDisposable
{
    private readonly Lock gate = new();
    private T? copy;
    private ScalarType copyType;

    /// <summary>The copy in <paramref name="type"/>, made on first use after a change.</summary>
    public T Get(ScalarType type)
    {
        lock (gate)
        {
            if (copy is not null && copyType != type)
            {
                copy.Dispose();
                copy = null;
            }

            copyType = type;
            return copy ??= create(type);
        }
    }

    /// <summary>Drops the copy after the weights changed (callers hold the detector's exclusive lock, so no prediction is using it).</summary>
    public void Invalidate()
    {
        lock (gate)
        {
            copy?.Dispose();
            copy = null;
        }
    }

    public void Dispose() => Invalidate();
}

/// <summary>Makes reduced-precision copies of modules.</summary>
internal static class ReducedCopy
{
    /// <summary>
    /// A frozen, eval-mode copy of <paramref name="source"/> in <paramref name="type"/> on its device: <paramref name="construct"/>
    /// builds an empty module of the same shape (its random initialisation is undone: the process's generator is restored,
    /// so making a copy never changes what a seeded build or fit draws next), then the float32 values are copied and cast.
    /// </summary>
    /// <param name="source">The float32 module.</param>
    /// <param name="construct">Builds a module of the same configuration.</param>
    /// <param name="type">The reduced type.</param>
    /// <param name="device">The device of <paramref name="source"/>.</param>
    /// <param name="prepare">Copies what the state dict does not hold (before the cast), or null.</param>
    public static TModule Of<TModule>(TModule source, Func<TModule> construct, ScalarType type, Device device, Action<TModule>? prepare = null)
        where TModule : nn.Module
    {
        TModule copy;
        lock (TorchRandom.Gate)
        {
            using var state = random.get_rng_state();
            copy = construct();
            random.set_rng_state(state);
        }

        try
        {
            using (no_grad())
            {
                copy.load_state_dict(source.state_dict());
                prepare?.Invoke(copy);
            }

            copy.to(device, type);
            foreach (var parameter in copy.parameters())
            {
                parameter.requires_grad = false;
            }

            copy.eval();
            return copy;
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }
}
