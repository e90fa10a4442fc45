using Anomaly.ED.Evaluation;

namespace Anomaly.ED.Tests.Evaluation;

/// <summary>
/// Six 8x8 images whose metrics can be worked out by hand (see EvaluationReportTests): two normal images, two "crack"
/// and two "scratch" images. Smoothed maps are constant per region; the unsmoothed maps are 1 - smoothed, so their
/// pixel AUROC is the complement of the smoothed one.
/// </summary>
internal static class SyntheticEvaluationSet
{
    public const int Size = 8;

    public static EvaluationSample[] Create() =>
    [
        Image("n1.png", "good", false, 0.2f, background: 0.1f, []),
        Image("n2.png", "good", false, 0.3f, background: 0.2f, []),
        Image("crack1.png", "crack", true, 0.9f, background: 0f, [(0, 0, 1f), (0, 1, 1f), (1, 0, 1f), (1, 1, 1f)]),
        Image("crack2.png", "crack", true, 0.25f, background: 0f, [(7, 7, 0.15f)]),
        Image("scratch1.png", "scratch", true, 0.8f, background: 0f, Enumerable.Range(0, Size).Select(x => (4, x, 0.5f)).ToArray()),
        Image("scratch2.png", "scratch", true, 0.7f, background: 0f, [(3, 3, 0.5f)]),
    ];

    public static EvaluationReportBuilder Builder(IEnumerable<EvaluationSample> samples) =>
        new EvaluationReportBuilder(Size, Size).AddRange(samples);

    /// <summary>An image whose smoothed map is <paramref name="background"/> except the defect pixels, which are also its mask.</summary>
    public static EvaluationSample Image(string path, string type, bool defective, float score, float background, (int Y, int X, float Value)[] defects)
    {
        var smoothed = Enumerable.Repeat(background, Size * Size).ToArray();
        var mask = new bool[Size * Size];
        foreach (var (y, x, value) in defects)
        {
            smoothed[y * Size + x] = value;
            mask[y * Size + x] = true;
        }

        var unsmoothed = smoothed.Select(v => 1f - v).ToArray();
        return new EvaluationSample(path, type, defective, score, unsmoothed, smoothed, mask);
    }
}
