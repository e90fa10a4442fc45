using System.Diagnostics;
using Anomaly.ED.Backbones;
using Anomaly.ED.Data;
using Anomaly.ED.Evaluation;
using Anomaly.ED.Methods.Ed.Network;
using Anomaly.ED.ModelFiles;
using Anomaly.ED.Runtime;
using Anomaly.ED.Training;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Training;

/// <summary>
/// The ED/FOD training run: reference features in one streaming pass (which also fills the token cache), then the reference trainer's epochs of
/// minimax steps, with validation, weight selection, checkpoints and restoration on cancellation.
/// </summary>
internal sealed class EdTrainer
{
    private readonly EdTrainingSetup setup;
    private readonly EdTrainingOptions options;
    private readonly int seed;
    private readonly ILogger logger;

    public EdTrainer(EdTrainingSetup setup, ILogger logger)
    {
        this.setup = setup;
        options = setup.Options.Ed!.Training;
        seed = setup.Options.Seed;
        this.logger = logger;
    }

    /// <summary>Whether the networks hold a complete state of this run (an epoch finished or a checkpoint was restored), also after a failed run.</summary>
    public bool HoldsCompleteState { get; private set; }

    /// <summary>Trains; on cancellation or any failure the networks go back to their last complete state (the state before the call when no epoch completed).</summary>
    public TrainingOutcome Run(ImageDataset trainingSet, FitOptions fit, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        using var recovery = new RecoveryPoint(ModelSnapshot.Take(setup.Networks));
        try
        {
            return Train(trainingSet, fit, progress, recovery, cancellationToken);
        }
        catch (Exception e)
        {
            recovery.Current.Restore(setup.Networks);
            if (e is OperationCanceledException)
            {
                Log.Cancelled(logger);
            }

            throw;
        }
    }

    private TrainingOutcome Train(ImageDataset trainingSet, FitOptions fit, IProgress<TrainingProgress>? progress, RecoveryPoint recovery, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var networks = setup.Networks;
        ImageDataset training = trainingSet;
        ImageDataset? heldOut = null;
        if (fit.ValidationFraction > 0)
        {
            var split = trainingSet.HoldOutNormals(fit.ValidationFraction, seed);
            (training, heldOut) = (split.Training, split.Validation);
        }

        var items = training.Items.ToArray();
        Log.TrainingStarted(logger, items.Length, options.Epochs, options.BatchSize);
        setup.ResetNetworks();
        var loader = new DatasetLoader(
            setup.Transform,
            new DatasetLoaderOptions { BatchSize = options.BatchSize, MaxDegreeOfParallelism = fit.DecodeParallelism },
            logger);

        using var cache = TokenCache.TryCreate(items.Length, setup.Extractor.Stages, setup.Options.Backbone.ImageHeight, setup.Options.Backbone.ImageWidth, fit.FeatureCacheMegabytes, setup.Extractor.Device);
        ComputeReferences(items, loader, cache, progress, cancellationToken);
        var (imagesUsed, imageSizes) = (items.Length - loader.SkippedCount, loader.ImageSizes);

        Log.ReferencesComputed(logger, items.Length, networks.Count, cache is not null);

        lock (TorchRandom.Gate)
        {
            random.manual_seed(seed);
        }

        var shuffler = new Random(seed);
        using var step = new EdOptimizationStep(networks, options);

        var startEpoch = 0;
        var best = (Metric: double.NaN, Epoch: 0, Snapshot: (ModelSnapshot?)null);
        if (fit.CheckpointPath is not null && File.Exists(fit.CheckpointPath))
        {
            var state = setup.RestoreCheckpoint(fit.CheckpointPath, step);
            startEpoch = state.EpochsCompleted;
            best = (state.BestMetric ?? double.NaN, state.BestEpoch, null);
            recovery.Replace(ModelSnapshot.Take(networks));
            HoldsCompleteState = true;
            Log.Resumed(logger, fit.CheckpointPath, startEpoch);
        }

        var order = Enumerable.Range(0, items.Length).ToArray();
        for (var e = 0; e < startEpoch; e++)
        {
            Shuffle(order, shuffler);
        }

        var metricName = fit.ValidationSet is not null ? "image_auroc" : heldOut is not null ? "heldout_reconstruction_loss" : null;
        var higherIsBetter = fit.ValidationSet is not null;
        var history = new List<double>();
        IReadOnlyList<EdLossValues> epochLosses = [];
        var stepsPerEpoch = (items.Length + options.BatchSize - 1) / options.BatchSize;
        var trainingStart = Stopwatch.StartNew();
        var stepsDone = 0;
        var totalSteps = (options.Epochs - startEpoch) * stepsPerEpoch;
        for (var epoch = startEpoch; epoch < options.Epochs; epoch++)
        {
            Shuffle(order, shuffler);
            var epochWatch = Stopwatch.StartNew();
            var sums = new LossAccumulator(networks.Count);
            for (var s = 0; s < stepsPerEpoch; s++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var indices = order.Skip(s * options.BatchSize).Take(options.BatchSize).ToArray();
                IReadOnlyList<EdLossValues> losses;
                using (var scope = NewDisposeScope())
                {
                    var tokens = cache is not null
                        ? cache.Select(indices)
                        : TokensFromImages(indices.Select(i => items[i]), loader, cancellationToken);
                    losses = step.Step(tokens);
                }

                NativeHeap.ReleaseFreedMemory();
                sums.Add(losses, indices.Length);
                stepsDone++;
                var elapsed = trainingStart.Elapsed;
                var remaining = TimeSpan.FromTicks((long)(elapsed.Ticks / (double)stepsDone * (totalSteps - stepsDone)));
                progress?.Report(new TrainingProgress(
                    epoch + 1, options.Epochs, s + 1, stepsPerEpoch, losses,
                    sums.Images / Math.Max(epochWatch.Elapsed.TotalSeconds, 1e-9), elapsed, remaining));
            }

            epochLosses = sums.Means();
            double? metric = null;
            if (metricName is not null)
            {
                foreach (var network in networks)
                {
                    network.eval();
                }

                metric = fit.ValidationSet is not null
                    ? ValidationAuroc(fit.ValidationSet, cancellationToken)
                    : HeldOutLoss(heldOut!, loader, cancellationToken);
                history.Add(metric.Value);
                var improved = double.IsNaN(best.Metric) || (higherIsBetter ? metric > best.Metric : metric < best.Metric);
                if (improved)
                {
                    best.Snapshot?.Dispose();
                    best = (metric.Value, epoch + 1, fit.Selection == WeightSelection.Best ? ModelSnapshot.Take(networks) : null);
                }
            }

            recovery.Replace(ModelSnapshot.Take(networks));
            HoldsCompleteState = true;
            Log.EpochCompleted(logger, epoch + 1, options.Epochs, epochLosses.Sum(l => l.Reconstruction), epochWatch.Elapsed.TotalSeconds);
            if (metric is { } value)
            {
                Log.EpochValidated(logger, epoch + 1, options.Epochs, metricName!, value);
            }

            if (fit.CheckpointPath is not null)
            {
                var state = new TrainingState(epoch + 1, options.Epochs, step.SaveOptimizerState(), double.IsNaN(best.Metric) ? null : best.Metric, best.Epoch);
                using var checkpoint = setup.CheckpointContent(state);
                ModelFile.Save(fit.CheckpointPath, checkpoint);
            }
        }

        var selectedEpoch = options.Epochs;
        if (fit.Selection == WeightSelection.Best && best.Snapshot is not null)
        {
            best.Snapshot.Restore(networks);
            best.Snapshot.Dispose();
            selectedEpoch = best.Epoch;
        }
        else if (fit.Selection == WeightSelection.Best && best.Epoch > 0 && best.Epoch != options.Epochs)
        {
            Log.BestFromEarlierRun(logger, best.Epoch);
        }

        foreach (var network in networks)
        {
            network.eval();
        }

        Calibration? calibration = null;
        if (fit.CalibrationFalsePositiveRate is { } fpr && heldOut is not null)
        {
            calibration = ThresholdCalibration.FromNormalScores(setup.ScoreImages(heldOut, cancellationToken).Scores, fpr);
        }

        return new TrainingOutcome(
            new TrainingResult(options.Epochs, fit.Selection, selectedEpoch, metricName, history, epochLosses, watch.Elapsed, cache is not null),
            calibration,
            imagesUsed,
            imageSizes);
    }

    private double ValidationAuroc(ImageDataset validationSet, CancellationToken cancellationToken)
    {
        var (scores, defective) = setup.ScoreImages(validationSet, cancellationToken);
        return BinaryMetrics.Auroc(scores, defective);
    }

    private FeatureMaps Extract(Tensor images) => setup.Extractor.Extract(images.to(setup.Extractor.Device));

    private void ComputeReferences(DatasetItem[] items, DatasetLoader loader, TokenCache? cache, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var networks = setup.Networks;
        var accumulators = networks.Select(_ => new ReferenceFeatures()).ToArray();
        try
        {
            var offset = 0;
            foreach (var batch in loader.ReadBatches(items, cancellationToken))
            {
                using (batch)
                using (var scope = NewDisposeScope())
                {
                    var features = Extract(batch.Images);
                    for (var level = 0; level < networks.Count; level++)
                    {
                        accumulators[level].Add(features[level]);
                        cache?.Store(level, offset, FeatureTokens.FromFeatureMap(features[level]));
                    }

                    offset += batch.Count;
                }

                var rate = offset / Math.Max(watch.Elapsed.TotalSeconds, 1e-9);
                progress?.Report(new TrainingProgress(0, options.Epochs, offset, items.Length, [], rate, watch.Elapsed, TimeSpan.FromSeconds((items.Length - offset) / rate)) { Stage = FitStage.References });
            }

            for (var level = 0; level < networks.Count; level++)
            {
                using var mean = accumulators[level].Mean();
                networks[level].SetReferenceFeatures(mean);
            }
        }
        finally
        {
            foreach (var accumulator in accumulators)
            {
                accumulator.Dispose();
            }
        }
    }

    private Tensor[] TokensFromImages(IEnumerable<DatasetItem> batchItems, DatasetLoader loader, CancellationToken cancellationToken)
    {
        var perLevel = new List<Tensor>[setup.Networks.Count];
        for (var level = 0; level < perLevel.Length; level++)
        {
            perLevel[level] = [];
        }

        foreach (var batch in loader.ReadBatches(batchItems, cancellationToken))
        {
            using (batch)
            {
                var features = Extract(batch.Images);
                for (var level = 0; level < perLevel.Length; level++)
                {
                    perLevel[level].Add(FeatureTokens.FromFeatureMap(features[level]));
                }
            }
        }

        return perLevel.Select(list => list.Count == 1 ? list[0] : cat(list, 0)).ToArray();
    }

    private double HeldOutLoss(ImageDataset heldOut, DatasetLoader loader, CancellationToken cancellationToken)
    {
        var networks = setup.Networks;
        foreach (var network in networks)
        {
            network.eval();
        }

        double sum = 0;
        var count = 0;
        using var noGrad = no_grad();
        foreach (var batch in loader.ReadBatches(heldOut.Items, cancellationToken))
        {
            using (batch)
            using (var scope = NewDisposeScope())
            {
                var features = Extract(batch.Images);
                for (var level = 0; level < networks.Count; level++)
                {
                    var tokens = FeatureTokens.FromFeatureMap(features[level]);
                    using var output = networks[level].call(tokens);
                    using var terms = EdObjective.Compute(output, tokens, options.Lambda1, options.Lambda2);
                    sum += terms.Reconstruction.item<float>() * batch.Count;
                }

                count += batch.Count;
            }
        }

        return sum / Math.Max(count, 1);
    }

    private static void Shuffle(int[] order, Random random)
    {
        for (var i = order.Length - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
    }

    /// <summary>The last complete state of the networks, replaced after every epoch.</summary>
    private sealed class RecoveryPoint(ModelSnapshot initial) : IDisposable
    {
        public ModelSnapshot Current { get; private set; } = initial;

        public void Replace(ModelSnapshot snapshot)
        {
            Current.Dispose();
            Current = snapshot;
        }

        public void Dispose() => Current.Dispose();
    }

    /// <summary>Image-weighted means of the loss terms of an epoch, per level.</summary>
    private sealed class LossAccumulator(int levels)
    {
        private readonly double[][] sums = Enumerable.Range(0, levels).Select(_ => new double[9]).ToArray();
        private readonly bool[][] present = Enumerable.Range(0, levels).Select(_ => new bool[9]).ToArray();

        public int Images { get; private set; }

        public void Add(IReadOnlyList<EdLossValues> losses, int images)
        {
            for (var level = 0; level < losses.Count; level++)
            {
                var values = Values(losses[level]);
                for (var k = 0; k < values.Length; k++)
                {
                    if (values[k] is { } v)
                    {
                        sums[level][k] += v * images;
                        present[level][k] = true;
                    }
                }
            }

            Images += images;
        }

        public IReadOnlyList<EdLossValues> Means() => sums.Select((s, level) =>
        {
            double? M(int k) => present[level][k] ? s[k] / Images : null;
            return new EdLossValues(M(0) ?? 0, M(1), M(2), M(3), M(4), M(5), M(6), M(7) ?? 0, M(8));
        }).ToArray();

        private static double?[] Values(EdLossValues v) =>
            [v.Reconstruction, v.Intra1, v.Intra2, v.IntraEntropy, v.Inter1, v.Inter2, v.InterEntropy, v.Loss1, v.Loss2];
    }
}
