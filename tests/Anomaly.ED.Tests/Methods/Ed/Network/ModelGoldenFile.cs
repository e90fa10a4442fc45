using System.Globalization;
using System.Text.Json;
using Anomaly.ED.Formats;
using Anomaly.ED.Methods.Ed.Network;
using Anomaly.ED.Tests.TestSupport;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Methods.Ed.Network;

/// <summary>
/// One golden/model file: its configuration as <see cref="EdLevelOptions"/>, a network with the golden initial
/// parameters and reference features, and comparisons that use the file's tolerance table and log the diff/tolerance ratio.
/// </summary>
internal sealed class ModelGoldenFile : IDisposable
{
    private static readonly Lazy<GoldenTolerances> CopiedTolerances = new(() => GoldenTolerances.Load(GoldenData.Copied("model/tolerances.json")));

    private readonly ITestOutputHelper? output;

    private ModelGoldenFile(string name, string path, GoldenTolerances tolerances, ITestOutputHelper? output)
    {
        Name = name;
        File = SafetensorsFile.Open(path);
        Tolerances = tolerances;
        this.output = output;
        using var config = JsonDocument.Parse(File.Metadata["config"]);
        var root = config.RootElement;
        var side = (int)Math.Round(Math.Sqrt(root.GetProperty("seq_len").GetInt32()));
        var isFod = File.Metadata["model_class"] == "FOD";
        var d = root.GetProperty("d_model").GetInt32();
        var heads = root.GetProperty("n_heads").GetInt32();
        var layers = root.GetProperty("n_layers").GetInt32();
        var channels = root.GetProperty("in_channels").GetInt32();
        Options = isFod ? EdLevelOptions.Fod(side, side, channels, d, heads, layers) : EdLevelOptions.Ed(side, side, channels, d, heads, layers);
        Options.FeedForwardScale = root.GetProperty("d_feed_foward_scale").GetInt32();
        Options.Dropout = root.GetProperty("dropout").GetDouble();
        Options.WithIntra = root.GetProperty("with_intra").GetBoolean();
        Options.WithInter = root.GetProperty("with_inter").GetBoolean();
        Options.RelativePositionBias = root.TryGetProperty("use_relative_position", out var relpos) && relpos.GetBoolean();
    }

    public string Name { get; }

    public SafetensorsFile File { get; }

    public GoldenTolerances Tolerances { get; }

    public EdLevelOptions Options { get; }

    /// <summary>Opens a small golden file copied into the test project (e.g. "ed_small").</summary>
    public static ModelGoldenFile Copied(string name, ITestOutputHelper? output = null) =>
        new(name, GoldenData.Copied($"model/{name}.safetensors"), CopiedTolerances.Value, output);

    /// <summary>Opens a golden file from ../shared/golden/model.</summary>
    public static ModelGoldenFile Shared(string name, ITestOutputHelper? output = null)
    {
        var path = GoldenData.SharedOrNull($"model/{name}.safetensors")
            ?? throw new FileNotFoundException($"shared/golden/model/{name}.safetensors is absent.");
        var tolerances = GoldenData.SharedOrNull("model/tolerances.json") is { } shared ? GoldenTolerances.Load(shared) : CopiedTolerances.Value;
        return new ModelGoldenFile(name, path, tolerances, output);
    }

    public Tensor Read(string name) => File.ReadTensor(name);

    /// <summary>A network in float32 on the CPU with the golden initial parameters (strict load) and reference features.</summary>
    public EdLevelNetwork CreateNetwork(EdLevelOptions? options = null)
    {
        var network = new EdLevelNetwork(options ?? Options);
        using var scope = NewDisposeScope();
        var parameters = File.ReadAll("param.");
        network.LoadStateDict(parameters, strict: true);
        network.SetReferenceFeatures(Read("ref_feats_raw"));
        return network;
    }

    /// <summary>Compares a computed tensor with the golden one under the file's tolerance rule and logs the ratio.</summary>
    public double AssertMatches(Tensor actual, string goldenName)
    {
        using var scope = NewDisposeScope();
        var tolerance = Tolerances.For(Name, goldenName);
        var ratio = tolerance.Assert(actual, Read(goldenName), $"{Name}:{goldenName}");
        output?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Name}\t{goldenName}\t{tolerance.Pattern}\tratio {ratio:G3}"));
        return ratio;
    }

    public void Dispose() => File.Dispose();
}
