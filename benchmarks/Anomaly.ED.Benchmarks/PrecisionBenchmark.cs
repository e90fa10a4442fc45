using System.Diagnostics;
using System.Globalization;
using Anomaly.ED.Methods;
using Anomaly.ED.Methods.Ed;
using Anomaly.ED.Methods.Hetmm;
using TorchSharp;
using static TorchSharp.torch;

namespace Anomaly.ED.Benchmarks;

/// <summary>
/// float32 against a reduced precision (<c>--precision bfloat16</c>, the default) in one run, stage by stage: the backbone
/// alone, the ED level networks with their token scores, HETMM's matching, and a whole prediction from the transformed
/// tensor (backbone, levels, post-processing; decoding excluded) at batch 1 and 8, and one ED training step of the level
/// networks. ED runs at the reference configuration
/// (wide_resnet50_2 layer2+layer3, 256x256, d_model 256/512, untrained: the cost does not depend on the weights), HETMM on
/// resnet18 with 200 and 60 random templates. The two precisions alternate round by round, so a change in the machine's
/// load falls on both; each figure is the median of the rounds.
/// </summary>
internal static class PrecisionBenchmark
{
    public static int Run(string[] args)
    {
        var rounds = BenchmarkArgs.Int(args, "--rounds", 3);
        var precision = Enum.Parse<ComputePrecision>(args.SkipWhile(a => a != "--precision").Skip(1).FirstOrDefault() ?? "BFloat16", ignoreCase: true);
        Console.WriteLine($"machine: {Environment.ProcessorCount} logical cores, torch threads {torch.get_num_threads()}, load {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine($"float32 against {precision}, {rounds} rounds, medians in seconds per image");

        using (var ed32 = EdDetector(ComputePrecision.Float32))
        using (var edReduced = EdDetector(precision))
        {
            var models = new[] { (EdModel)ed32.Model, (EdModel)edReduced.Model };
            using var one = randn(1, 3, 256, 256);
            using var eight = randn(8, 3, 256, 256);
            Compare("ED backbone, batch 1", rounds, 1, models, m => m.Extractor.Extract(one, Type(m)).Dispose());
            Compare("ED backbone, batch 8", rounds, 8, models, m => m.Extractor.Extract(eight, Type(m)).Dispose());
            using var features = models[0].Extractor.Extract(one);
            Compare("ED level networks + token scores, batch 1", rounds, 1, models, m => Dispose(m.LevelScorer.ScoreLevels(features)));
            Compare("ED predict (tensor in), batch 1", rounds, 1, models, m => m.Score(one).Dispose());
            Compare("ED predict (tensor in), batch 8", rounds, 8, models, m => m.Score(eight).Dispose());
            CompareTrainingStep(rounds, models[0], precision);
        }

        using (var h32 = HetmmDetector(ComputePrecision.Float32))
        using (var hReduced = HetmmDetector(precision))
        {
            var models = new[] { (HetmmModel)h32.Model, (HetmmModel)hReduced.Model };
            using var one = randn(1, 3, 256, 256);
            using var eight = randn(8, 3, 256, 256);
            Compare("HETMM resnet18 backbone, batch 1", rounds, 1, models, m => m.Extractor.Extract(one, Type(m)).Dispose());
            foreach (var count in new[] { 200, 60 })
            {
                foreach (var m in models)
                {
                    LoadTemplates(m, h32.Stages, count);
                }

                using var features = models[0].Extractor.Extract(one);
                Compare($"HETMM matching, {count} templates, batch 1", rounds, 1, models, m => Dispose(m.LevelScorer.ScoreLevels(features)));
                Compare($"HETMM predict (tensor in), {count} templates, batch 1", rounds, 1, models, m => m.Score(one).Dispose());
                Compare($"HETMM predict (tensor in), {count} templates, batch 8", rounds, 8, models, m => m.Score(eight).Dispose());
            }
        }

        Console.WriteLine($"load {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    }

    // One optimisation step of both level networks (both objectives, Adam) on one image's tokens: the float32 networks
    // against a copy cast to the reduced type and trained in it. Pure reduced-precision training is a lower bound for the
    // mixed-precision kind, which keeps float32 master weights and adds casts: if it does not pay, neither does that.
    private static void CompareTrainingStep(int rounds, EdModel model, ComputePrecision precision)
    {
        var type = Runtime.ReducedPrecision.ComputeType(precision) ?? ScalarType.Float32;
        var reduced = model.Networks.Select(n => Runtime.ReducedCopy.Of(n, () => new Methods.Ed.Network.EdLevelNetwork(n.Options), type, model.Device, copy =>
        {
            using var features = n.GetReferenceFeatures();
            copy.SetReferenceFeatures(features);
        })).ToArray();
        foreach (var parameter in reduced.SelectMany(n => n.parameters()))
        {
            parameter.requires_grad = true;
        }

        using var generator = new Generator(3);
        var tokens = model.Networks.Select(n => randn(new long[] { 1, n.Options.TokenCount, n.Options.InputChannels }, generator: generator)).ToArray();
        var reducedTokens = tokens.Select(t => t.to(type)).ToArray();
        using var float32Step = new Methods.Ed.Training.EdOptimizationStep(model.Networks);
        using var reducedStep = new Methods.Ed.Training.EdOptimizationStep(reduced);
        try
        {
            Compare("ED training step (level networks, both objectives, Adam), batch 1", rounds, 1, [(float32Step, tokens), (reducedStep, reducedTokens)], s => s.Item1.Step(s.Item2));
        }
        finally
        {
            foreach (var tensor in tokens.Concat(reducedTokens))
            {
                tensor.Dispose();
            }

            foreach (var network in reduced)
            {
                network.Dispose();
            }
        }
    }

    private static EdDetector EdDetector(ComputePrecision precision)
    {
        var detector = new EdDetectorBuilder().UseEd().WithUntrainedBackbone().WithSeed(1).UsePrecision(precision.ToString().ToLowerInvariant()).Build();
        var model = (EdModel)detector.Model;
        using var generator = new Generator(2);
        foreach (var network in model.Networks)
        {
            var options = network.Options;
            using var reference = randn(new long[] { options.InputChannels, options.TokenCount }, generator: generator);
            network.SetReferenceFeatures(reference);
        }

        return detector;
    }

    private static EdDetector HetmmDetector(ComputePrecision precision) =>
        new EdDetectorBuilder().UseHetmm().WithBackbone("resnet18").WithUntrainedBackbone().WithImageSize(256).WithSeed(1).UsePrecision(precision.ToString().ToLowerInvariant()).Build();

    private static void LoadTemplates(HetmmModel model, IReadOnlyList<Backbones.FeatureStage> stages, int count)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(1);
        var state = stages.ToDictionary(
            s => "hetmm.templates." + s.Name,
            s => nn.functional.normalize(randn(new long[] { count, s.Channels, s.OutputSize(256), s.OutputSize(256) }, generator: generator), dim: 1));
        model.LoadState(state, "(benchmark)");
    }

    private static ScalarType? Type(DetectorModel model) => Runtime.ReducedPrecision.ComputeType(model.Options.Runtime.ComputePrecision);

    private static void Dispose(IReadOnlyList<Tensor> tensors)
    {
        foreach (var t in tensors)
        {
            t.Dispose();
        }
    }

    // One warm-up call each, then the two alternate for the given rounds.
    private static void Compare<TModel>(string name, int rounds, int batch, TModel[] models, Action<TModel> run)
    {
        var times = models.Select(_ => new List<double>()).ToArray();
        foreach (var model in models)
        {
            run(model);
        }

        for (var round = 0; round < rounds; round++)
        {
            for (var i = 0; i < models.Length; i++)
            {
                var watch = Stopwatch.StartNew();
                run(models[i]);
                times[i].Add(watch.Elapsed.TotalSeconds / batch);
            }
        }

        var medians = times.Select(t => t.Order().ElementAt(t.Count / 2)).ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name}: float32 {medians[0]:F3}, reduced {medians[1]:F3}, float32/reduced {medians[0] / medians[1]:F2}x"));
    }
}
