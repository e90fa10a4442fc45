namespace Anomaly.ED;

/// <summary>The reference configurations of ED (Vzoooong/ED, main.py and trainer.py) and HETMM (NarcissusEx/HETMM, configs); every default of <see cref="EdOptions"/> and its groups comes from here.</summary>
public static class EdDefaults
{
    /// <summary>The backbone: torchvision's wide_resnet50_2.</summary>
    public const string Backbone = "wide_resnet50_2";

    /// <summary>Input height and width in pixels.</summary>
    public const int ImageSize = 256;

    /// <summary>The largest input height or width accepted, in pixels; larger inputs would need gigabytes per image.</summary>
    public const int MaxImageSize = 4096;

    /// <summary>Attention heads per branch.</summary>
    public const int Heads = 8;

    /// <summary>Encoder layers per level.</summary>
    public const int Layers = 3;

    /// <summary>Feed-forward width as a multiple of d_model.</summary>
    public const int FeedForwardScale = 4;

    /// <summary>Training epochs.</summary>
    public const int Epochs = 100;

    /// <summary>Training batch size.</summary>
    public const int BatchSize = 1;

    /// <summary>Adam learning rate.</summary>
    public const double LearningRate = 1e-4;

    /// <summary>Weight of the correlation terms (lambda1).</summary>
    public const double Lambda1 = 0.5;

    /// <summary>Weight of the entropy terms (lambda2).</summary>
    public const double Lambda2 = 0.5;

    /// <summary>Random seed (the reference's init_seeds(3407)).</summary>
    public const int Seed = 3407;

    /// <summary>The compute device.</summary>
    public const string Device = "cpu";

    /// <summary>Standard deviation of the Gaussian smoothing of anomaly maps, in pixels.</summary>
    public const double SmoothingSigma = 4.0;

    /// <summary>The backbone stages the two levels read.</summary>
    public static IReadOnlyList<string> Levels { get; } = ["layer2", "layer3"];

    /// <summary>d_model of each level's transformer, in level order.</summary>
    public static IReadOnlyList<int> ModelDimensions { get; } = [256, 512];

    /// <summary>HETMM's backbone (the reference's Wide_ResNet101_2).</summary>
    public const string HetmmBackbone = "wide_resnet101_2";

    /// <summary>HETMM's preset for data other than the MVTec AD categories.</summary>
    public const string HetmmPreset = "default";

    /// <summary>HETMM's bound on the matching's temporaries, in megabytes.</summary>
    public const int HetmmMatchingMemoryMegabytes = 16;

    /// <summary>The backbone stages HETMM's levels read.</summary>
    public static IReadOnlyList<string> HetmmLevels { get; } = ["layer1", "layer2", "layer3"];
}
