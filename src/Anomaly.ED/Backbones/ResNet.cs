using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Anomaly.ED.Backbones;

/// <summary>
/// A torchvision-compatible ResNet (v1.5) whose state-dict names and shapes equal torchvision's and timm's
/// (<c>conv1</c>, <c>bn1</c>, <c>layer1</c> … <c>layer4</c>, <c>fc</c>), so their checkpoints load unchanged.
/// It can be built truncated after a stage and without the classifier, which saves the memory of the unused layers.
/// </summary>
internal sealed class ResNet : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly ModuleList<ResidualBlock> layer1;
    private readonly ModuleList<ResidualBlock>? layer2;
    private readonly ModuleList<ResidualBlock>? layer3;
    private readonly ModuleList<ResidualBlock>? layer4;
    private readonly Linear? fc;

    /// <summary>Builds a ResNet with torchvision's initialisation (Kaiming-normal convolutions, BatchNorm weight 1 and bias 0).</summary>
    /// <param name="architecture">The architecture, usually from <see cref="BackboneCatalog.Get"/>.</param>
    /// <param name="stageCount">How many residual stages to build (1 … 4); stages beyond it do not exist in the module.</param>
    /// <param name="includeClassifier">Whether to build the average pool and the <c>fc</c> classifier (requires all four stages).</param>
    /// <param name="numClasses">The number of classifier outputs when <paramref name="includeClassifier"/> is true.</param>
    /// <param name="device">Where the parameters are created (null: the default device); building on the target device avoids a copy.</param>
    public ResNet(ResNetArchitecture architecture, int stageCount = 4, bool includeClassifier = true, int numClasses = 1000, Device? device = null)
        : base(architecture?.Name ?? nameof(ResNet))
    {
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentOutOfRangeException.ThrowIfLessThan(stageCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(stageCount, 4);
        if (includeClassifier && stageCount != 4)
        {
            throw new ArgumentException($"The classifier needs all four stages; stageCount is {stageCount}.", nameof(includeClassifier));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses);

        Architecture = architecture;
        StageCount = stageCount;

        conv1 = nn.Conv2d(3, 64, kernel_size: 7, stride: 2, padding: 3, bias: false, device: device);
        bn1 = nn.BatchNorm2d(64, device: device);
        var inPlanes = 64;
        layer1 = MakeStage(architecture, 0, ref inPlanes, device);
        layer2 = stageCount > 1 ? MakeStage(architecture, 1, ref inPlanes, device) : null;
        layer3 = stageCount > 2 ? MakeStage(architecture, 2, ref inPlanes, device) : null;
        layer4 = stageCount > 3 ? MakeStage(architecture, 3, ref inPlanes, device) : null;
        fc = includeClassifier ? nn.Linear(architecture.ClassifierInputs, numClasses, device: device) : null;

        RegisterComponents();
        InitialiseLikeTorchvision();
    }

    /// <summary>The architecture this network was built from.</summary>
    public ResNetArchitecture Architecture { get; }

    /// <summary>The number of residual stages built (4 for the full network).</summary>
    public int StageCount { get; }

    /// <summary>Whether the <c>fc</c> classifier exists (and <see cref="forward"/> returns class logits).</summary>
    public bool HasClassifier => fc is not null;

    /// <summary>Computes class logits (B, numClasses) for images (B, 3, H, W), as torchvision's <c>ResNet.forward</c>.</summary>
    /// <param name="input">A float batch (B, 3, H, W) on this network's device.</param>
    /// <returns>The logits.</returns>
    /// <exception cref="InvalidOperationException">The network was built without the classifier.</exception>
    public override Tensor forward(Tensor input)
    {
        if (fc is null)
        {
            throw new InvalidOperationException($"This {Architecture.Name} was built without its classifier; use a feature extractor to get stage outputs.");
        }

        using var scope = NewDisposeScope();
        var x = Stem(input);
        foreach (var stage in ResidualStages())
        {
            x = RunStage(stage, x, preRelu: false).Activated;
        }

        var pooled = nn.functional.adaptive_avg_pool2d(x, [1, 1]).flatten(1);
        return fc.call(pooled).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The state dict in PyTorch's order (each module's parameters, then its persistent buffers, then its children),
    /// which is the order of torchvision's <c>state_dict()</c>. The tensors are this module's own, not copies.
    /// </summary>
    /// <returns>The names and tensors in order.</returns>
    public IReadOnlyList<KeyValuePair<string, Tensor>> OrderedStateDict()
    {
        var entries = new List<KeyValuePair<string, Tensor>>();
        AppendState(this, string.Empty, entries);
        return entries;
    }

    /// <summary>
    /// Runs the network up to the deepest wanted stage and returns the wanted stage outputs in depth order.
    /// Index 0 of <paramref name="wanted"/> is the stem, 1 … 4 are layer1 … layer4.
    /// </summary>
    internal List<Tensor> ForwardStages(Tensor input, IReadOnlyList<bool> wanted, FeatureActivation activation)
    {
        var deepest = LastIndexOf(wanted);
        if (deepest > StageCount)
        {
            throw new InvalidOperationException($"Stage layer{deepest} was requested but this {Architecture.Name} was built with {StageCount} stage(s).");
        }

        using var scope = NewDisposeScope();
        var outputs = new List<Tensor>();
        var x = Stem(input);
        if (wanted[0])
        {
            outputs.Add(x);
        }

        var index = 1;
        foreach (var stage in ResidualStages())
        {
            if (index > deepest)
            {
                break;
            }

            var preRelu = wanted[index] && activation == FeatureActivation.PreRelu;
            var (activated, sum) = RunStage(stage, x, preRelu);
            if (outputs.Count == 0 || !ReferenceEquals(outputs[^1], x))
            {
                // Free each stage input as soon as it is consumed: at large batches they dominate memory.
                x.Dispose();
            }

            x = activated;
            if (wanted[index])
            {
                outputs.Add(preRelu ? sum! : activated);
            }

            index++;
        }

        foreach (var output in outputs)
        {
            output.MoveToOuterDisposeScope();
        }

        return outputs;
    }

    private static int LastIndexOf(IReadOnlyList<bool> wanted)
    {
        for (var i = wanted.Count - 1; i >= 0; i--)
        {
            if (wanted[i])
            {
                return i;
            }
        }

        return -1;
    }

    private Tensor Stem(Tensor input)
    {
        using var convolved = conv1.call(input);
        using var normalised = bn1.call(convolved);
        return nn.functional.max_pool2d(normalised.relu_(), [3, 3], [2, 2], [1, 1]);
    }

    private IEnumerable<ModuleList<ResidualBlock>> ResidualStages()
    {
        yield return layer1;
        if (layer2 is not null)
        {
            yield return layer2;
        }

        if (layer3 is not null)
        {
            yield return layer3;
        }

        if (layer4 is not null)
        {
            yield return layer4;
        }
    }

    private static (Tensor Activated, Tensor? PreRelu) RunStage(ModuleList<ResidualBlock> stage, Tensor x, bool preRelu)
    {
        var stageInput = x;
        for (var i = 0; i < stage.Count - 1; i++)
        {
            var next = stage[i].call(x);
            if (!ReferenceEquals(x, stageInput))
            {
                x.Dispose();
            }

            x = next;
        }

        Tensor activated;
        Tensor? sum = null;
        if (preRelu)
        {
            // The pre-ReLU sum must survive, so the last activation is not in place.
            sum = stage[^1].ResidualSum(x);
            activated = sum.relu();
        }
        else
        {
            activated = stage[^1].call(x);
        }

        if (!ReferenceEquals(x, stageInput))
        {
            x.Dispose();
        }

        return (activated, sum);
    }

    private static ModuleList<ResidualBlock> MakeStage(ResNetArchitecture architecture, int stage, ref int inPlanes, Device? device)
    {
        var planes = ResNetArchitecture.StagePlanes(stage);
        var stride = stage == 0 ? 1 : 2;
        var outPlanes = planes * architecture.Expansion;
        var blocks = new ResidualBlock[architecture.BlockCounts[stage]];
        for (var b = 0; b < blocks.Length; b++)
        {
            var blockStride = b == 0 ? stride : 1;
            Sequential? downsample = null;
            if (b == 0 && (stride != 1 || inPlanes != outPlanes))
            {
                downsample = nn.Sequential(
                    nn.Conv2d(inPlanes, outPlanes, kernel_size: 1, stride: stride, bias: false, device: device),
                    nn.BatchNorm2d(outPlanes, device: device));
            }

            blocks[b] = architecture.Block == ResNetBlockKind.Basic
                ? new BasicBlock(inPlanes, planes, blockStride, downsample, device)
                : new BottleneckBlock(inPlanes, architecture.BottleneckWidth(planes), outPlanes, blockStride, downsample, device);
            inPlanes = outPlanes;
        }

        return nn.ModuleList(blocks);
    }

    private void InitialiseLikeTorchvision()
    {
        using var noGrad = no_grad();
        foreach (var (_, module) in named_modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    nn.init.kaiming_normal_(conv.weight, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
                    break;
                case BatchNorm2d bn:
                    nn.init.ones_(bn.weight);
                    nn.init.zeros_(bn.bias!);
                    break;
            }
        }
    }

    private static void AppendState(nn.Module module, string prefix, List<KeyValuePair<string, Tensor>> entries)
    {
        foreach (var (name, parameter) in module.named_parameters(recurse: false))
        {
            entries.Add(new(prefix + name, parameter));
        }

        foreach (var (name, buffer) in module.named_buffers(recurse: false, include_nonpersistent: false))
        {
            entries.Add(new(prefix + name, buffer));
        }

        foreach (var (name, child) in module.named_children())
        {
            AppendState(child, prefix + name + ".", entries);
        }
    }
}
