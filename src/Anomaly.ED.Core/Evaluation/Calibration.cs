using System.Text.Json.Serialization;

namespace Anomaly.ED.Evaluation;

/// <summary>The decision rule stored with a model: an image is anomalous when its raw score is at least <see cref="Threshold"/>; optionally a normalisation to [0, 1] for display.</summary>
/// <remarks>Build one with <c>ThresholdCalibration</c> (Anomaly.ED); plain properties so it serialises with System.Text.Json.</remarks>
public sealed record Calibration
{
    /// <summary>Creates a calibration; a normalisation must use the same threshold.</summary>
    /// <exception cref="ArgumentException">The threshold is not finite, or the normalisation's threshold differs from it.</exception>
    [JsonConstructor]
    public Calibration(double threshold, ScoreNormalization? normalization = null)
    {
        if (!double.IsFinite(threshold))
        {
            throw new ArgumentException($"A calibration threshold must be finite, got {threshold}.", nameof(threshold));
        }

        if (normalization is not null && normalization.Threshold != threshold)
        {
            throw new ArgumentException($"The normalisation maps {normalization.Threshold} to 0.5 but the calibration threshold is {threshold}; they must be equal.", nameof(normalization));
        }

        Threshold = threshold;
        Normalization = normalization;
    }

    /// <summary>The raw image score at and above which an image is anomalous.</summary>
    public double Threshold { get; }

    /// <summary>The normalisation to [0, 1] (threshold at 0.5), or null when scores are reported raw.</summary>
    public ScoreNormalization? Normalization { get; }

    /// <summary>True when <paramref name="score"/> &gt;= <see cref="Threshold"/>; NaN is never anomalous.</summary>
    public bool IsAnomalous(float score) => score >= Threshold;

    /// <summary>True when <paramref name="score"/> &gt;= <see cref="Threshold"/>; NaN is never anomalous.</summary>
    public bool IsAnomalous(double score) => score >= Threshold;

    /// <summary>The score as reported: normalised when <see cref="Normalization"/> is set, otherwise unchanged.</summary>
    public float Normalize(float score) => Normalization?.Apply(score) ?? score;
}
