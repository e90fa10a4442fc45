using System.Collections;
using Razorvine.Pickle;
using static TorchSharp.torch;

namespace Anomaly.ED.Formats;

/// <summary>
/// The Python globals a PyTorch state dict may name, as Razorvine.Pickle constructors: the tensor rebuild functions,
/// <c>collections.OrderedDict</c>, the typed storage classes, and numpy arrays (<c>_reconstruct</c>, <c>dtype</c>). They only build descriptions
/// (<see cref="PyTorchTensorRef"/>); any other global stays an inert <c>ClassDict</c>, which the checkpoint reader rejects.
/// </summary>
/// <remarks>
/// Razorvine keeps its constructors in one process-wide table. Each constructor here passes arguments it does not
/// recognise (another library's unpickler, e.g. TorchSharp.PyBridge, registering the same names) to the constructor it
/// replaced, so both keep working.
/// </remarks>
internal static class PickleGlobals
{
    private static readonly Lock Gate = new();
    private static bool registered;

    /// <summary>Registers the constructors once per process.</summary>
    public static void Register()
    {
        lock (Gate)
        {
            if (registered)
            {
                return;
            }

            Replace("torch._utils", "_rebuild_tensor_v2", previous => new TensorConstructor(previous));
            Replace("torch._utils", "_rebuild_tensor", previous => new TensorConstructor(previous));
            Replace("torch._utils", "_rebuild_parameter", previous => new ParameterConstructor(previous));
            Replace("collections", "OrderedDict", previous => new OrderedDictConstructor(previous));
            foreach (var module in new[] { "numpy.core.multiarray", "numpy._core.multiarray" })
            {
                Replace(module, "_reconstruct", previous => new NumpyArrayConstructor(previous));
            }

            Replace("numpy", "dtype", previous => new NumpyDTypeConstructor(previous));
            foreach (var (name, dtype) in StorageTypes)
            {
                Unpickler.registerConstructor("torch", name, new StorageType(dtype));
            }

            registered = true;
        }
    }

    private static readonly (string Name, ScalarType DType)[] StorageTypes =
    [
        ("FloatStorage", ScalarType.Float32),
        ("DoubleStorage", ScalarType.Float64),
        ("HalfStorage", ScalarType.Float16),
        ("BFloat16Storage", ScalarType.BFloat16),
        ("LongStorage", ScalarType.Int64),
        ("IntStorage", ScalarType.Int32),
        ("ShortStorage", ScalarType.Int16),
        ("CharStorage", ScalarType.Int8),
        ("ByteStorage", ScalarType.Byte),
        ("BoolStorage", ScalarType.Bool),
    ];

    private static void Replace(string module, string name, Func<IObjectConstructor?, IObjectConstructor> create)
        => Unpickler.registerConstructor(module, name, create(Probe.Get(module + "." + name)));

    /// <summary>A storage class (e.g. <c>torch.FloatStorage</c>); it appears only inside persistent ids and is never called.</summary>
    internal sealed class StorageType(ScalarType dtype) : IObjectConstructor
    {
        public ScalarType DType { get; } = dtype;

        public object construct(object[] args) => throw new PickleException($"the storage class of {DType} is called, which torch.save never does");
    }

    /// <summary><c>_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, backward_hooks[, metadata])</c> and <c>_rebuild_tensor(storage, offset, size, stride)</c>.</summary>
    private sealed class TensorConstructor(IObjectConstructor? fallback) : IObjectConstructor
    {
        public object construct(object[] args)
        {
            if (args.Length == 0 || args[0] is not PyTorchStorageRef storage)
            {
                return fallback?.construct(args) ?? throw new PickleException("a tensor is rebuilt from something other than a storage");
            }

            if (args.Length < 4 || args[2] is not object[] size || args[3] is not object[] stride)
            {
                throw new PickleException("a tensor is rebuilt with arguments other than (storage, offset, size, stride, ...)");
            }

            var reference = new PyTorchTensorRef(storage, ToLong(args[1]), [.. size.Select(ToLong)], [.. stride.Select(ToLong)]);
            return reference.Problem() is { } problem ? throw new PickleException($"tensor over storage '{storage.Key}': {problem}") : reference;
        }

        private static long ToLong(object? value) => value switch
        {
            int i => i,
            long l => l,
            _ => throw new PickleException($"a tensor offset, size or stride is {value ?? "None"}, not an integer"),
        };
    }

    /// <summary><c>_rebuild_parameter(data, requires_grad, backward_hooks)</c>: an <c>nn.Parameter</c> is its tensor here.</summary>
    private sealed class ParameterConstructor(IObjectConstructor? fallback) : IObjectConstructor
    {
        public object construct(object[] args)
            => args.Length > 0 && args[0] is PyTorchTensorRef tensor ? tensor : fallback?.construct(args) ?? throw new PickleException("a parameter is rebuilt from something other than a tensor");
    }

    /// <summary><c>collections.OrderedDict()</c>, filled by SETITEMS; its BUILD state (<c>_metadata</c>) is dropped.</summary>
    private sealed class OrderedDictConstructor(IObjectConstructor? fallback) : IObjectConstructor
    {
        public object construct(object[] args)
            => args.Length == 0 || fallback is null ? new OrderedDict() : fallback.construct(args);
    }

    /// <summary><c>numpy.core.multiarray._reconstruct(ndarray, (0,), b'b')</c>: an empty array that BUILD fills.</summary>
    private sealed class NumpyArrayConstructor(IObjectConstructor? fallback) : IObjectConstructor
    {
        public object construct(object[] args)
            => args.Length == 3 && args[0] is Razorvine.Pickle.Objects.ClassDictConstructor { module: "numpy", name: "ndarray" }
                ? new NumpyArray()
                : fallback?.construct(args) ?? throw new PickleException("numpy's _reconstruct is called for something other than an ndarray");
    }

    /// <summary><c>numpy.dtype(name, align, copy)</c>.</summary>
    private sealed class NumpyDTypeConstructor(IObjectConstructor? fallback) : IObjectConstructor
    {
        public object construct(object[] args)
            => args.Length == 3 && args[0] is string name ? new NumpyDType(name) : fallback?.construct(args) ?? throw new PickleException("numpy.dtype is called with unexpected arguments");
    }

    /// <summary>An OrderedDict as a hash table: state-dict entries are matched by name, so their order is not needed.</summary>
    internal sealed class OrderedDict : Hashtable
    {
        /// <summary>Called by BUILD with the instance's attributes (torch's <c>_metadata</c>); they carry no weights.</summary>
        public void __setstate__(Hashtable state) => _ = state;
    }

    /// <summary>Razorvine exposes its constructor table only to subclasses; this one reads the current entry.</summary>
    private sealed class Probe : Unpickler
    {
        public static IObjectConstructor? Get(string key) => objectConstructors.TryGetValue(key, out var constructor) ? constructor : null;
    }
}
