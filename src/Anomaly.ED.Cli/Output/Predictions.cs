using Anomaly.ED.Cli.Models;
using Anomaly.ED.Cli.Progress;

namespace Anomaly.ED.Cli.Output;

/// <summary>Scores many image files in chunks (the library decodes each chunk in parallel and scores it in batches), reporting progress per chunk.</summary>
internal static class Predictions
{
    public static IReadOnlyList<AnomalyPrediction> Score(PredictingModel detector, IReadOnlyList<string> paths, int batchSize, ProgressLine line, CancellationToken cancellationToken)
    {
        var options = new PredictOptions { BatchSize = batchSize };
        var progress = new CountProgress(line, paths.Count);
        var results = new List<AnomalyPrediction>(paths.Count);

        // Chunks bound the decoded images held at once and let Ctrl+C stop between them.
        foreach (var chunk in paths.Chunk(Math.Max(batchSize, Environment.ProcessorCount)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            results.AddRange(detector.Predict(chunk, options));
            progress.Report(results.Count);
        }

        line.Complete();
        return results;
    }
}
