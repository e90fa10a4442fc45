using System.Text.Json.Serialization;

namespace Anomaly.ED.Evaluation;

/// <summary>
/// Maps raw scores to [0, 1] with the decision threshold at 0.5, as anomalib's min-max normalisation:
/// normalized = clamp((score - Threshold) / (Maximum - Minimum) + 0.5, 0, 1).
/// </summary>
/// <remarks>
/// Image scores and map pixels share one scale in this library (an image score is the maximum of its smoothed map),
/// so the same normalisation applies to both. It is monotone, so rankings and metrics are unchanged, but scores far
/// outside [Minimum, Maximum] saturate at 0 or 1 and values a hair from the threshold may round to 0.5: make decisions
/// with <see cref="Calibration.IsAnomalous(float)"/> on raw scores. NaN stays NaN. Stored in the model file.
/// </remarks>
public sealed record ScoreNormalization
{
    /// <summary>Creates a normalisation from its three statistics.</summary>
    /// <exception cref="ArgumentException">A value is not finite or <paramref name="maximum"/> is not above <paramref name="minimum"/>.</exception>
    [JsonConstructor]
    public ScoreNormalization(double threshold, double minimum, double maximum)
    {
        if (!double.IsFinite(threshold) || !double.IsFinite(minimum) || !double.IsFinite(maximum))
        {
            throw new ArgumentException($"Score normalisation needs finite statistics (threshold {threshold}, minimum {minimum}, maximum {maximum}).");
        }

        if (!(maximum > minimum) || !double.IsFinite(maximum - minimum))
        {
            throw new ArgumentException($"Score normalisation needs maximum > minimum with a finite range (minimum {minimum}, maximum {maximum}).");
        }

        Threshold = threshold;
        Minimum = minimum;
        Maximum = maximum;
    }

    /// <summary>The raw score mapped to 0.5.</summary>
    public double Threshold { get; }

    /// <summary>The smallest calibration score.</summary>
    public double Minimum { get; }

    /// <summary>The largest calibration score.</summary>
    public double Maximum { get; }

    /// <summary>Takes the minimum and maximum of <paramref name="scores"/> (for example the validation normals' image scores).</summary>
    /// <exception cref="ArgumentException">There are no scores, a score is not finite, all scores are equal, or the threshold is not finite.</exception>
    public static ScoreNormalization FromScores(ReadOnlySpan<float> scores, double threshold)
    {
        if (scores.IsEmpty)
        {
            throw new ArgumentException("Score normalisation needs at least one score.", nameof(scores));
        }

        float minimum = float.PositiveInfinity, maximum = float.NegativeInfinity;
        for (var i = 0; i < scores.Length; i++)
        {
            if (!float.IsFinite(scores[i]))
            {
                throw new ArgumentException($"Score normalisation: score {i} is not finite ({scores[i]}).", nameof(scores));
            }

            minimum = Math.Min(minimum, scores[i]);
            maximum = Math.Max(maximum, scores[i]);
        }

        if (minimum == maximum)
        {
            throw new ArgumentException($"Score normalisation needs two different scores; all {scores.Length} equal {minimum}.", nameof(scores));
        }

        return new ScoreNormalization(threshold, minimum, maximum);
    }

    /// <summary>Normalises one score.</summary>
    public double Apply(double score) => Math.Clamp((score - Threshold) / (Maximum - Minimum) + 0.5, 0.0, 1.0);

    /// <summary>Normalises one score (computed in double, rounded once to float).</summary>
    public float Apply(float score) => (float)Apply((double)score);

    /// <summary>Normalises values in place, for example a map.</summary>
    public void Apply(Span<float> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = Apply(values[i]);
        }
    }

    /// <summary>Writes the normalised <paramref name="source"/> into <paramref name="destination"/> of the same length.</summary>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public void Apply(ReadOnlySpan<float> source, Span<float> destination)
    {
        if (source.Length != destination.Length)
        {
            throw new ArgumentException($"Score normalisation: {source.Length} source values but {destination.Length} destination values.", nameof(destination));
        }

        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = Apply(source[i]);
        }
    }
}
