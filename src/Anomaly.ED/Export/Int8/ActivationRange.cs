using static TorchSharp.torch;

namespace Anomaly.ED.Export.Int8;

/// <summary>The smallest and largest value a tensor took over the calibration images.</summary>
internal readonly record struct ActivationRange(float Min, float Max)
{
    /// <summary>The range of <paramref name="values"/>.</summary>
    /// <exception cref="InvalidOperationException">The tensor holds a NaN or an infinity, which no int8 scale can represent.</exception>
    public static ActivationRange Of(Tensor values, string name)
    {
        using var scope = NewDisposeScope();
        var (min, max) = (values.min().item<float>(), values.max().item<float>());
        if (!float.IsFinite(min) || !float.IsFinite(max))
        {
            throw new InvalidOperationException($"The calibration values of '{name}' are not finite (min {min}, max {max}).");
        }

        return new ActivationRange(min, max);
    }

    /// <summary>The range covering both.</summary>
    public ActivationRange Union(ActivationRange other) => new(Math.Min(Min, other.Min), Math.Max(Max, other.Max));
}
