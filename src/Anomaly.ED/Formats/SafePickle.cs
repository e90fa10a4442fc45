using System.Collections;
using System.Numerics;
using Razorvine.Pickle;

namespace Anomaly.ED.Formats;

/// <summary>
/// Unpickling limited to data: Razorvine.Pickle (which never imports or runs Python code) with the constructors of
/// <see cref="PickleGlobals"/>, and a check of the result that accepts only containers, scalars, tensors and numpy
/// arrays. Any other Python object named by the pickle (for example <c>os.system</c>) ends in a
/// <see cref="CheckpointFormatException"/> that names it. The pickle is cut out of its stream first
/// (<see cref="PickleFrame"/>), so a hostile declared length costs only the bytes the file holds.
/// </summary>
internal static class SafePickle
{
    /// <summary>The deepest nesting of containers accepted (a state dict is three or four levels deep).</summary>
    public const int MaxDepth = 64;

    /// <summary>Reads one pickle from <paramref name="source"/>, leaving the stream after its STOP opcode.</summary>
    /// <param name="source">The stream.</param>
    /// <param name="filePath">The file, for messages.</param>
    /// <param name="persistentLoad">Resolves persistent ids (torch.save's storages); null refuses them.</param>
    /// <exception cref="CheckpointFormatException">The pickle is damaged, truncated or calls anything but the known data constructors.</exception>
    public static object? Load(Stream source, string filePath, Func<object, object>? persistentLoad)
    {
        try
        {
            var pickle = PickleFrame.ReadOne(source, filePath);
            using var unpickler = new DataUnpickler(persistentLoad);
            return unpickler.loads(pickle);
        }
        catch (CheckpointFormatException)
        {
            throw;
        }
        catch (Exception e) when (e is PickleException or IOException or InvalidDataException or InvalidCastException or InvalidOperationException or ArgumentException
            or IndexOutOfRangeException or FormatException or OverflowException or NotSupportedException or KeyNotFoundException or NullReferenceException)
        {
            var hint = e.Message.Contains("ClassDict", StringComparison.Ordinal)
                ? " It calls a Python object other than a tensor or container; nothing was executed."
                : string.Empty;
            throw new CheckpointFormatException(filePath, $"its pickle cannot be read as tensors and containers ({e.Message}).{hint}", e);
        }
    }

    /// <summary>
    /// Accepts dicts, lists, tuples, strings, numbers, bytes, None, tensors and numpy arrays, nested at most
    /// <see cref="MaxDepth"/> deep; rejects anything else, naming where it is. A container met again (the pickle memo
    /// can share one, or make it hold itself) is checked once, so the check is linear in the file's size.
    /// </summary>
    /// <exception cref="CheckpointFormatException">The tree holds another object, or nests deeper than <see cref="MaxDepth"/>.</exception>
    public static void CheckTree(object? node, string filePath, string where) =>
        CheckTree(node, filePath, where, 0, new HashSet<object>(ReferenceEqualityComparer.Instance));

    private static void CheckTree(object? node, string filePath, string where, int depth, HashSet<object> seen)
    {
        if (node is Hashtable or ArrayList or object[])
        {
            if (depth >= MaxDepth)
            {
                throw Rejected(filePath, $"{where} nests containers more than {MaxDepth} levels deep");
            }

            if (!seen.Add(node))
            {
                return;
            }
        }

        switch (node)
        {
            case null or string or bool or int or long or BigInteger or double or byte[] or PyTorchTensorRef or NumpyArray:
                return;
            case Hashtable table:
                foreach (DictionaryEntry entry in table)
                {
                    CheckTree(entry.Key, filePath, where, depth + 1, seen);
                    CheckTree(entry.Value, filePath, $"{where}['{Shorten(entry.Key)}']", depth + 1, seen);
                }

                return;
            case ArrayList list:
                for (var i = 0; i < list.Count; i++)
                {
                    CheckTree(list[i], filePath, $"{where}[{i}]", depth + 1, seen);
                }

                return;
            case object[] tuple:
                for (var i = 0; i < tuple.Length; i++)
                {
                    CheckTree(tuple[i], filePath, $"{where}[{i}]", depth + 1, seen);
                }

                return;
            case Razorvine.Pickle.Objects.ClassDict instance:
                throw Rejected(filePath, $"{where} is an instance of the Python class '{instance.ClassName}'");
            case Razorvine.Pickle.Objects.ClassDictConstructor callable:
                throw Rejected(filePath, $"{where} is the Python object '{callable.module}.{callable.name}'");
            default:
                throw Rejected(filePath, $"{where} is a Python {node.GetType().Name}");
        }
    }

    // A key in a message: a hostile file may use a megabyte-long string as a key.
    private static string Shorten(object? key)
    {
        var text = key?.ToString() ?? "None";
        return text.Length <= 80 ? text : text[..80] + "…";
    }

    private static CheckpointFormatException Rejected(string filePath, string what)
        => new(filePath, $"{what}. Only tensors and containers (dict, list, tuple, strings, numbers, numpy arrays) are accepted; nothing in the file was executed.");

    private sealed class DataUnpickler(Func<object, object>? resolvePersistentId) : Unpickler
    {
        static DataUnpickler() => PickleGlobals.Register();

        protected override object persistentLoad(object pid)
            => resolvePersistentId is null
                ? throw new PickleException("the pickle refers to external storage (a persistent id), which this file type does not have")
                : resolvePersistentId(pid);
    }
}
