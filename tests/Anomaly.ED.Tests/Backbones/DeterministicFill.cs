using Anomaly.ED.Backbones;
using TorchSharp;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Backbones;

/// <summary>
/// The golden data's deterministic fill rule (golden/pipeline/README.md, section 1): SplitMix64's finaliser
/// over (k + 1) * golden + i, mapped to [-1, 1) and scaled per entry kind in exact double arithmetic, then
/// rounded once to float32. It reproduces torchvision's filled weights bit for bit.
/// </summary>
internal static class DeterministicFill
{
    public static ulong Hash(long k, long i)
    {
        unchecked
        {
            var z = ((ulong)k + 1UL) * 0x9E3779B97F4A7C15UL + (ulong)i;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    public static double Uniform(ulong z) => 2.0 * ((double)(z >> 40) / 16777216.0) - 1.0;

    /// <summary>The filled float32 values of entry <paramref name="k"/>.</summary>
    public static float[] Values(string name, long[] shape, int k, bool isBatchNorm)
    {
        var count = shape.Aggregate(1L, (a, b) => a * b);
        var values = new float[count];
        if (name.EndsWith(".running_mean", StringComparison.Ordinal) || (isBatchNorm && name.EndsWith(".bias", StringComparison.Ordinal)))
        {
            for (long i = 0; i < count; i++)
            {
                values[i] = (float)(0.1 * Uniform(Hash(k, i)));
            }
        }
        else if (name.EndsWith(".running_var", StringComparison.Ordinal))
        {
            for (long i = 0; i < count; i++)
            {
                var v = Uniform(Hash(k, i));
                values[i] = (float)(1.0 + 0.5 * v * v);
            }
        }
        else if (isBatchNorm && name.EndsWith(".weight", StringComparison.Ordinal))
        {
            for (long i = 0; i < count; i++)
            {
                values[i] = (float)(0.7 + 0.2 * Uniform(Hash(k, i)));
            }
        }
        else if (name.EndsWith(".weight", StringComparison.Ordinal))
        {
            var gain = Math.Sqrt(6.0 / shape.Skip(1).Aggregate(1L, (a, b) => a * b));
            for (long i = 0; i < count; i++)
            {
                values[i] = (float)(Uniform(Hash(k, i)) * gain);
            }
        }
        else if (name.EndsWith(".bias", StringComparison.Ordinal))
        {
            for (long i = 0; i < count; i++)
            {
                values[i] = (float)(0.01 * Uniform(Hash(k, i)));
            }
        }
        else
        {
            throw new ArgumentException($"No fill rule for '{name}'.", nameof(name));
        }

        return values;
    }

    /// <summary>
    /// Fills every entry of an architecture's full state dict in order, hands each to <paramref name="sink"/>
    /// (name, shape, values or null for num_batches_tracked), and returns param_checksums rows
    /// [sum, sum of |x|, first, last] in float64 per filled entry.
    /// </summary>
    public static double[,] Fill(string arch, Action<string, long[], float[]?> sink)
    {
        var keys = ResNetStateDictTests.ReadKeys(arch);
        var names = keys.Select(k => k.Name).ToHashSet();
        var filled = keys.Count(k => k.FillIndex is not null);
        var checksums = new double[filled, 4];
        foreach (var key in keys)
        {
            if (key.FillIndex is not int k)
            {
                sink(key.Name, key.Shape, null);
                continue;
            }

            var prefix = key.Name[..key.Name.LastIndexOf('.')];
            var values = Values(key.Name, key.Shape, k, names.Contains(prefix + ".running_mean"));
            double sum = 0, sumAbs = 0;
            foreach (var value in values)
            {
                sum += value;
                sumAbs += Math.Abs(value);
            }

            checksums[k, 0] = sum;
            checksums[k, 1] = sumAbs;
            checksums[k, 2] = values[0];
            checksums[k, 3] = values[^1];
            sink(key.Name, key.Shape, values);
        }

        return checksums;
    }

    /// <summary>Fills a (possibly truncated) network in place; entries it lacks are skipped. Returns param_checksums.</summary>
    public static double[,] Apply(ResNet network)
    {
        var entries = network.OrderedStateDict().ToDictionary(e => e.Key, e => e.Value);
        using var noGrad = no_grad();
        return Fill(network.Architecture.Name, (name, shape, values) =>
        {
            if (!entries.TryGetValue(name, out var target))
            {
                return;
            }

            using var scope = NewDisposeScope();
            if (values is null)
            {
                target.zero_();
            }
            else
            {
                target.copy_(tensor(values, shape));
            }
        });
    }

    /// <summary>The full filled state dict as tensors (the caller disposes them), in torchvision order.</summary>
    public static Dictionary<string, Tensor> StateDict(string arch)
    {
        var result = new Dictionary<string, Tensor>();
        Fill(arch, (name, shape, values) =>
            result[name] = values is null ? tensor(0L) : tensor(values, shape).DetachFromDisposeScope());
        return result;
    }
}
