using Anomaly.ED.Backbones;
using Anomaly.ED.Formats;
using Anomaly.ED.ModelFiles;
using Anomaly.ED.Pretrained;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods;

/// <summary>
/// The one composition path of a detector's model, shared by <see cref="EdDetectorBuilder.Build"/> and
/// <see cref="EdDetector.Load"/>: backbone (from its weights source, or embedded in a model file), fingerprint check,
/// device, then the method's model, with a model file's state and calibration when loading.
/// </summary>
internal static class ModelComposer
{
    /// <summary>Composes an unfitted model from validated options.</summary>
    /// <param name="options">Completed, validated options (<see cref="DetectorOptionsValidator.Completed"/>).</param>
    /// <param name="cancellationToken">Cancels a download.</param>
    public static async Task<DetectorModel> BuildAsync(DetectorOptions options, CancellationToken cancellationToken)
    {
        options.Runtime = options.Runtime.Named("RuntimeOptions.Device (EdDetectorBuilder.UseDevice)", "RuntimeOptions.Precision (EdDetectorBuilder.UsePrecision)");
        var extractor = await CreateExtractorAsync(options, cancellationToken).ConfigureAwait(false);
        return Compose(options, extractor, new BackboneRecord(options.Backbone.Name!, BackboneFingerprint.Compute(extractor), Pretrained(options.Backbone), false, WeightsSource(options.Backbone)), null, null);
    }

    /// <summary>Composes a fitted model from a model file's content, run with the caller's deployment settings.</summary>
    /// <param name="content">The file's content.</param>
    /// <param name="path">The file, for messages.</param>
    /// <param name="load">The caller's settings.</param>
    /// <param name="optionPrefix">How the caller's settings are named in messages (<c>"LoadOptions."</c>, or hosting's configuration keys).</param>
    public static DetectorModel Load(ModelFileContent content, string path, LoadOptions load, string optionPrefix)
    {
        var runtime = load.Runtime ?? throw new ArgumentException($"{optionPrefix}Runtime must not be null.", nameof(load));
        if (runtime.Failures(optionPrefix + "Runtime.").FirstOrDefault() is { } problem)
        {
            throw new ArgumentException(problem, nameof(load));
        }

        var options = ModelOptionsCodec.Read(content, path);
        options.Runtime = runtime.Named(optionPrefix + "Runtime.Device", optionPrefix + "Runtime.Precision");
        if (load.BackboneWeightsPath is not null)
        {
            options.Backbone.WeightsPath = load.BackboneWeightsPath;
            options.Backbone.PretrainedCheckpoint = null;
        }

        IFeatureExtractor extractor;
        if (content.BackboneState is not null)
        {
            var embedded = NewExtractor(options);
            try
            {
                embedded.Network.LoadStateDict(content.BackboneState);
            }
            catch (Exception e) when (e is StateDictMismatchException or ArgumentException)
            {
                embedded.Dispose();
                throw new ModelFileException(path, $"its embedded backbone weights do not fit {options.Backbone.Name}: {e.Message}", e);
            }

            extractor = embedded;
        }
        else
        {
            if (options.Backbone.WeightsPath is { } weightsPath && !File.Exists(weightsPath))
            {
                throw new ModelFileException(path, $"the backbone weights are not embedded and '{weightsPath}' (recorded at training) does not exist; pass LoadOptions.BackboneWeightsPath.");
            }

            try
            {
                extractor = CreateExtractorAsync(options, CancellationToken.None).GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is StateDictMismatchException or SafetensorsFormatException or CheckpointFormatException)
            {
                throw new ModelFileException(path, $"the backbone weights given for it cannot be used ({options.Backbone.WeightsPath ?? options.Backbone.PretrainedCheckpoint}): {e.Message}", e);
            }
        }

        return Compose(options, extractor, content.Backbone, content, path);
    }

    private static DetectorModel Compose(DetectorOptions options, IFeatureExtractor extractor, BackboneRecord backbone, ModelFileContent? content, string? path)
    {
        DetectorModel? model = null;
        try
        {
            Runtime.IntraOpThreads.Apply(options.Runtime.IntraOpThreads);
            Runtime.Nnpack.Disable();
            if (content is not null)
            {
                var fingerprint = BackboneFingerprint.Compute(extractor);
                if (fingerprint != content.Backbone.Fingerprint)
                {
                    throw new ModelFileException(path!, $"the backbone weights given ({content.Backbone.Architecture}, fingerprint {fingerprint[..12]}…) differ from those the model was trained with (fingerprint {content.Backbone.Fingerprint[..12]}…).");
                }
            }

            var device = DeviceName.ToDevice(options.Runtime.Device, options.Runtime.DeviceOptionName);
            Runtime.ReducedPrecision.Check(options.Runtime.ComputePrecision, device, options.Runtime.PrecisionOptionName);
            extractor.to(device);
            model = MethodRegistry.Get(options.Method).Create(options, extractor, backbone);
            if (content is not null)
            {
                model.LoadState(content.State, path!);
                model.Calibration = content.Calibration;
                model.TrainingData = content.TrainingData;
                model.SourceModelSha256 = content.ContentSha256;
            }

            return model;
        }
        catch
        {
            if (model is not null)
            {
                model.Dispose();
            }
            else
            {
                extractor.Dispose();
            }

            throw;
        }
    }

    private static async Task<IFeatureExtractor> CreateExtractorAsync(DetectorOptions options, CancellationToken cancellationToken)
    {
        var backbone = options.Backbone;
        if (backbone.WeightsPath is not null)
        {
            return NewExtractor(options).LoadWeights(backbone.WeightsPath);
        }

        if (backbone.PretrainedCheckpoint is not null)
        {
            var cache = new PretrainedWeightsCache(options.Runtime.WeightsCacheDirectory);
            return await ResNetFeatureExtractor.FromPretrainedAsync(
                backbone.Name!, backbone.Levels!, backbone.PretrainedCheckpoint, options.Runtime.AllowDownload, cache, MethodRegistry.Get(options.Method).Activation, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        // Seeded so that an untrained backbone is the same on every build with the same options.
        lock (TorchRandom.Gate)
        {
            random.manual_seed(options.Seed);
            return NewExtractor(options);
        }
    }

    private static ResNetFeatureExtractor NewExtractor(DetectorOptions options) =>
        ResNetFeatureExtractor.Create(options.Backbone.Name!, options.Backbone.Levels!, MethodRegistry.Get(options.Method).Activation);

    private static bool Pretrained(BackboneOptions backbone) => backbone.WeightsPath is not null || backbone.PretrainedCheckpoint is not null;

    private static string? WeightsSource(BackboneOptions backbone) => backbone.WeightsPath ?? backbone.PretrainedCheckpoint;
}
