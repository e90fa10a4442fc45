using Anomaly.ED.Formats;
using Anomaly.ED.Tests.TestSupport;
using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Formats;

public sealed class ModuleStateDictTests : IDisposable
{
    private readonly WeightsTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void StrictLoadCopiesParametersBuffersAndScalarParameters()
    {
        using var scope = NewDisposeScope();
        using var module = new TinyModule();
        var state = TinyState();

        module.LoadStateDict(state);

        var loaded = module.state_dict();
        foreach (var (name, value) in state)
        {
            TensorAssert.Equal(loaded[name], value, name);
        }

        module.scale.requires_grad.Should().BeTrue("loading must not detach parameters");
        module.scale.shape.Should().BeEmpty();
    }

    [Fact]
    public void LoadConvertsDTypeAndKeepsTheModulesDType()
    {
        using var scope = NewDisposeScope();
        using var module = new TinyModule();
        var state = TinyState();
        state["proj.weight"] = full(3, 4, 0.5, ScalarType.Float64);

        module.LoadStateDict(state);

        module.proj.weight!.dtype.Should().Be(ScalarType.Float32);
        TensorAssert.Equal(module.proj.weight, full(3, 4, 0.5f), "proj.weight");
    }

    [Fact]
    public void StrictLoadReportsEveryMissingUnexpectedAndMisShapedKeyAtOnceAndChangesNothing()
    {
        using var scope = NewDisposeScope();
        using var module = new TinyModule();
        var before = module.proj.bias!.clone();
        var state = TinyState();
        state.Remove("scale");
        state.Remove("norm.running_var");
        state["extra.weight"] = ones(1);
        state["scale_typo"] = ones(1);
        state["proj.weight"] = ones(4, 3);
        state["index"] = zeros(new long[] { 1 }, ScalarType.Int64);

        var act = () => module.LoadStateDict(state);

        var error = act.Should().Throw<StateDictMismatchException>().Which;
        error.MissingKeys.Should().BeEquivalentTo("scale", "norm.running_var");
        error.UnexpectedKeys.Should().BeEquivalentTo("extra.weight", "scale_typo");
        error.ShapeMismatches.Should().BeEquivalentTo("proj.weight: expected [3, 4], got [4, 3]", "index: expected [5], got [1]");
        error.Message.Should().Contain("2 missing keys").And.Contain("2 unexpected keys").And.Contain("2 shape mismatches")
            .And.Contain("norm.running_var").And.Contain("scale_typo").And.Contain("proj.weight: expected [3, 4], got [4, 3]").And.Contain("TinyModule");
        TensorAssert.Equal(module.proj.bias!, before, "proj.bias must be unchanged after a failed load");
    }

    [Fact]
    public void ZeroDimensionalAndOneElementShapesAreDifferent()
    {
        using var scope = NewDisposeScope();
        using var module = new TinyModule();
        var state = TinyState();
        state["scale"] = tensor(new[] { 0.5f });

        var act = () => module.LoadStateDict(state);

        act.Should().Throw<StateDictMismatchException>().Which.ShapeMismatches.Should().Equal("scale: expected [], got [1]");
    }

    [Fact]
    public void NonStrictLoadLoadsCommonKeysAndIgnoresMissingAndUnexpected()
    {
        using var scope = NewDisposeScope();
        using var module = new TinyModule();
        var untouched = module.proj.weight!.clone();
        var state = new Dictionary<string, Tensor> { ["scale"] = tensor(3f), ["proj.bias"] = full(3, 9f), ["head.weight"] = ones(2) };

        module.LoadStateDict(state, strict: false);

        module.scale.item<float>().Should().Be(3f);
        TensorAssert.Equal(module.proj.bias!, full(3, 9f), "proj.bias");
        TensorAssert.Equal(module.proj.weight!, untouched, "proj.weight");
    }

    [Fact]
    public void NonStrictLoadStillRejectsShapeMismatches()
    {
        using var scope = NewDisposeScope();
        using var module = new TinyModule();
        var state = new Dictionary<string, Tensor> { ["scale"] = tensor(3f), ["proj.bias"] = ones(4), ["head.weight"] = ones(2) };

        var act = () => module.LoadStateDict(state, strict: false);

        var error = act.Should().Throw<StateDictMismatchException>().Which;
        error.ShapeMismatches.Should().Equal("proj.bias: expected [3], got [4]");
        error.MissingKeys.Should().BeEmpty();
        error.UnexpectedKeys.Should().BeEmpty();
        module.scale.item<float>().Should().NotBe(3f, "nothing is loaded when a shape differs");
    }

    [Fact]
    public void DisposedEntriesAreRejectedNamingTheKey()
    {
        using var scope = NewDisposeScope();
        using var module = new TinyModule();
        var state = TinyState();
        state["scale"].Dispose();

        var act = () => module.LoadStateDict(state);

        act.Should().Throw<ArgumentException>().WithMessage("*'scale' is null or disposed*");
    }

    [Fact]
    public void SaveThenLoadSafetensorsRoundTripsAModule()
    {
        using var scope = NewDisposeScope();
        using var source = new TinyModule();
        source.LoadStateDict(TinyState());
        var path = _files.PathOf("tiny.safetensors");

        source.SaveSafetensors(path, new Dictionary<string, string> { ["model"] = "tiny" });
        using var target = new TinyModule();
        target.LoadSafetensors(path);

        using var file = SafetensorsFile.Open(path);
        file.Metadata["model"].Should().Be("tiny");
        file.Tensors.Select(t => t.Name).Should().BeEquivalentTo(source.state_dict().Keys);
        foreach (var (name, value) in source.state_dict())
        {
            TensorAssert.Equal(target.state_dict()[name], value, name);
        }
    }

    [Fact]
    public void LoadSafetensorsWithPrefixSelectsAndStripsTheNames()
    {
        using var scope = NewDisposeScope();
        var path = _files.PathOf("prefixed.safetensors");
        var stored = TinyState().Select(kv => KeyValuePair.Create("param." + kv.Key, kv.Value))
            .Append(KeyValuePair.Create("loss.rec", tensor(1f)));
        SafetensorsWriter.Save(path, stored);
        using var module = new TinyModule();

        module.LoadSafetensors(path, prefix: "param.");

        module.scale.item<float>().Should().Be(0.25f);
        var strictWithoutPrefix = () => module.LoadSafetensors(path);
        var error = strictWithoutPrefix.Should().Throw<StateDictMismatchException>().Which;
        error.UnexpectedKeys.Should().Contain("loss.rec").And.Contain("param.scale");
        error.Message.Should().Contain(path);
    }

    [Fact]
    public void GoldenEdSmallParametersLoadIntoAModuleOfTheSameNamesAndShapes()
    {
        using var scope = NewDisposeScope();
        var golden = GoldenData.Copied("model/ed_small.safetensors");
        using var file = SafetensorsFile.Open(golden);
        var parameters = file.Tensors.Where(t => t.Name.StartsWith("param.", StringComparison.Ordinal)).ToList();
        using var module = new TreeModule(parameters.Select(p => (p.Name["param.".Length..], p.Shape.ToArray())));

        module.LoadSafetensors(golden, prefix: "param.");

        var loaded = module.state_dict();
        loaded.Should().HaveCount(parameters.Count);
        foreach (var info in parameters)
        {
            TensorAssert.Equal(loaded[info.Name["param.".Length..]], file.ReadTensor(info.Name), info.Name);
        }
    }

    private static Dictionary<string, Tensor> TinyState() => new()
    {
        ["proj.weight"] = full(3, 4, 0.5f),
        ["proj.bias"] = tensor(new[] { 1f, 2f, 3f }),
        ["scale"] = tensor(0.25f),
        ["norm.weight"] = full(3, 2f),
        ["norm.bias"] = full(3, -1f),
        ["norm.running_mean"] = full(3, 0.1f),
        ["norm.running_var"] = full(3, 4f),
        ["norm.num_batches_tracked"] = tensor(7L),
        ["index"] = arange(5, ScalarType.Int64),
    };

    /// <summary>Parameters, a 0-d parameter, BatchNorm buffers and an integer buffer, named as in PyTorch.</summary>
    private sealed class TinyModule : nn.Module<Tensor, Tensor>
    {
#pragma warning disable IDE1006 // Field names are the state-dict keys.
        public readonly Linear proj = nn.Linear(4, 3);
        public readonly BatchNorm1d norm = nn.BatchNorm1d(3);
        public readonly Parameter scale = nn.Parameter(tensor(1f));
        public readonly Tensor index = zeros(new long[] { 5 }, ScalarType.Int64);
#pragma warning restore IDE1006

        public TinyModule()
            : base(nameof(TinyModule))
        {
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => norm.call(proj.call(input)) * scale;
    }

    /// <summary>A module tree with one zero parameter per dotted name, e.g. "encoder.encode_layers.0.fc1.weight".</summary>
    private sealed class TreeModule : nn.Module
    {
        public TreeModule(IEnumerable<(string Name, long[] Shape)> parameters)
            : base(nameof(TreeModule))
        {
            foreach (var group in parameters.GroupBy(p => p.Name.Split('.', 2)[0]))
            {
                var leaf = group.SingleOrDefault(p => !p.Name.Contains('.', StringComparison.Ordinal));
                if (leaf.Name is not null)
                {
                    register_parameter(leaf.Name, nn.Parameter(zeros(leaf.Shape)));
                }
                else
                {
                    register_module(group.Key, new TreeModule(group.Select(p => (p.Name.Split('.', 2)[1], p.Shape))));
                }
            }
        }
    }
}
