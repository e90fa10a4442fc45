using Anomaly.ED.Evaluation;

namespace Anomaly.ED.Samples.QuickStart;

/// <summary>What a quick-start run produced.</summary>
/// <param name="DatasetDirectory">The generated dataset.</param>
/// <param name="HeatmapDirectory">The folder of overlay and panel PNGs.</param>
/// <param name="ModelPath">The saved model file.</param>
/// <param name="ReportJsonPath">The evaluation report as JSON.</param>
/// <param name="Report">The evaluation on the generated test images.</param>
/// <param name="PretrainedBackbone">Whether the backbone had pretrained weights.</param>
public sealed record QuickStartResult(
    string DatasetDirectory,
    string HeatmapDirectory,
    string ModelPath,
    string ReportJsonPath,
    EvaluationReport Report,
    bool PretrainedBackbone);
