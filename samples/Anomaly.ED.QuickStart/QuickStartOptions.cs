using System.Globalization;

namespace Anomaly.ED.Samples.QuickStart;

/// <summary>The quick start's settings, parsed from the command line; unset values take the defaults of the chosen size.</summary>
public sealed class QuickStartOptions
{
    /// <summary>The backbone used with pretrained weights: the reference's.</summary>
    public const string DefaultBackbone = "wide_resnet50_2";

    /// <summary>The backbone used without pretrained weights (and by <c>--smoke</c>): small, so that the run stays short.</summary>
    public const string UntrainedDefaultBackbone = "resnet18";

    /// <summary>The text printed by <c>--help</c>.</summary>
    public const string Usage =
        """
        Anomaly.ED quick start: generates a small dataset of textured images with synthetic defects, trains an ED
        detector on its defect-free images (on the CPU by default), evaluates it on the test images and writes
        heatmaps and the model file. Needs no dataset and no network.

        Usage: dotnet run --project samples/Anomaly.ED.QuickStart -- [options]

        Options:
          --output <dir>         Folder for the dataset, heatmaps, report and model
                                 (default: <temp>/anomaly-ed-quickstart).
          --weights <file>       Backbone weights for --backbone: .safetensors or PyTorch .pth/.bin (torchvision or
                                 timm names), or ML.NET's ResNet18.onnx for resnet18.
          --download             Download the backbone's ImageNet weights (timm/<backbone>.tv_in1k, Hugging Face hub)
                                 into the local cache when they are not there yet. Nothing is downloaded without it.
          --backbone <name>      resnet18, resnet34, resnet50, wide_resnet50_2, ... Default: resnet18 with ML.NET's
                                 ImageNet weights (resnet18.mlnet_in1k, from the NuGet package this sample references);
                                 with --download or without that package, wide_resnet50_2 from the weights cache.
          --untrained            Random (seeded) backbone weights instead, to compare with the ImageNet weights.
          --image-size <n>       Image height and width in pixels (default 128; 64 with --smoke).
          --train-images <n>     Defect-free training images (default 32; 8 with --smoke).
          --epochs <n>           Training epochs (default 30; 2 with --smoke).
          --method <name>        ed (default), fod, or hetmm (training-free template matching: fitting only stores
                                 the normal images' features and takes seconds).
          --batch-size <n>       Training batch size (default 8).
          --device <name>        cpu (default), cuda or cuda:N (needs a CUDA build: -p:TorchSharpRuntime=cuda).
          --seed <n>             Seed of the dataset, the initialisation and the shuffling (default 7).
          --smoke                Tiny run (resnet18, 64x64, 8 images, 2 epochs) to check the setup in seconds;
                                 the metrics of such a short run mean nothing.
          --verbose              Log the library's information messages; print stack traces on errors.
          --help                 Show this text.

        Exit codes: 0 success, 1 error (invalid command line included).
        """;

    /// <summary>The output folder; null for <c>&lt;temp&gt;/anomaly-ed-quickstart</c>.</summary>
    public string? Output { get; set; }

    /// <summary>A local safetensors file with the backbone weights; null to look in the cache.</summary>
    public string? WeightsPath { get; set; }

    /// <summary>Whether pretrained weights missing from the cache are downloaded.</summary>
    public bool Download { get; set; }

    /// <summary>The backbone name; null for the default of the chosen size.</summary>
    public string? Backbone { get; set; }

    /// <summary>The square image size; null for the default of the chosen size.</summary>
    public int? ImageSize { get; set; }

    /// <summary>The number of training images; null for the default of the chosen size.</summary>
    public int? TrainImages { get; set; }

    /// <summary>The number of epochs; null for the default of the chosen size.</summary>
    public int? Epochs { get; set; }

    /// <summary>The method: ED (default), FOD or HETMM.</summary>
    public DetectorMethod Method { get; set; } = DetectorMethod.Ed;

    /// <summary>The training batch size.</summary>
    public int BatchSize { get; set; } = 8;

    /// <summary>The device: cpu, cuda or cuda:N.</summary>
    public string Device { get; set; } = "cpu";

    /// <summary>The seed of the dataset, initialisation and shuffling.</summary>
    public int Seed { get; set; } = 7;

    /// <summary>Whether to use untrained (random, seeded) backbone weights.</summary>
    public bool Untrained { get; set; }

    /// <summary>Whether to run the tiny smoke-test size.</summary>
    public bool Smoke { get; set; }

    /// <summary>Whether to log information messages and print stack traces.</summary>
    public bool Verbose { get; set; }

    /// <summary>Whether only the help text was asked for.</summary>
    public bool ShowHelp { get; set; }

    /// <summary>The backbone used with pretrained weights (a file, the cache or a download).</summary>
    public string PretrainedBackbone => Backbone ?? (Smoke ? UntrainedDefaultBackbone : DefaultBackbone);

    /// <summary>The backbone used when no pretrained weights are available.</summary>
    public string UntrainedBackbone => Backbone ?? UntrainedDefaultBackbone;

    /// <summary>The image size that runs.</summary>
    public int EffectiveImageSize => ImageSize ?? (Smoke ? 64 : 128);

    /// <summary>The number of training images that runs.</summary>
    public int EffectiveTrainImages => TrainImages ?? (Smoke ? 8 : 32);

    /// <summary>The number of epochs that runs.</summary>
    public int EffectiveEpochs => Epochs ?? (Smoke ? 2 : 30);

    /// <summary>Normal test images.</summary>
    public int TestNormalImages => Smoke ? 3 : 10;

    /// <summary>Defective test images per defect type.</summary>
    public int TestDefectsPerType => Smoke ? 1 : 5;

    /// <summary>The output folder that is used.</summary>
    public string EffectiveOutput => Path.GetFullPath(Output ?? Path.Combine(Path.GetTempPath(), "anomaly-ed-quickstart"));

    /// <summary>Parses the command line.</summary>
    /// <param name="args">The arguments, without the program name.</param>
    /// <exception cref="ArgumentException">An option is unknown, lacks its value or has an invalid one (a <c>UsageException</c>).</exception>
    public static QuickStartOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new QuickStartOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            switch (name)
            {
                case "--help" or "-h" or "-?":
                    options.ShowHelp = true;
                    break;
                case "--output":
                    options.Output = CommandLineArguments.Value(args, ref i);
                    break;
                case "--weights":
                    options.WeightsPath = CommandLineArguments.Value(args, ref i);
                    break;
                case "--download":
                    options.Download = true;
                    break;
                case "--backbone":
                    options.Backbone = CommandLineArguments.Value(args, ref i);
                    break;
                case "--image-size":
                    options.ImageSize = CommandLineArguments.Positive(args, ref i, minimum: 32);
                    break;
                case "--train-images":
                    options.TrainImages = CommandLineArguments.Positive(args, ref i, minimum: 1);
                    break;
                case "--epochs":
                    options.Epochs = CommandLineArguments.Positive(args, ref i, minimum: 1);
                    break;
                case "--method":
                    options.Method = CommandLineArguments.Method(args, ref i);
                    break;
                case "--batch-size":
                    options.BatchSize = CommandLineArguments.Positive(args, ref i, minimum: 1);
                    break;
                case "--device":
                    options.Device = CommandLineArguments.Value(args, ref i);
                    break;
                case "--seed":
                    options.Seed = CommandLineArguments.Integer(args, ref i);
                    break;
                case "--untrained":
                    options.Untrained = true;
                    break;
                case "--smoke":
                    options.Smoke = true;
                    break;
                case "--verbose" or "-v":
                    options.Verbose = true;
                    break;
                default:
                    throw new UsageException($"Unknown option '{name}'. Run with --help to list the options.");
            }
        }

        if (options.WeightsPath is not null && options.Download)
        {
            throw new UsageException("--weights and --download exclude each other: --weights names a local file, --download fetches the catalog's file.");
        }

        if (options.Untrained && (options.WeightsPath is not null || options.Download))
        {
            throw new UsageException("--untrained excludes --weights and --download.");
        }

        return options;
    }
}
