namespace Anomaly.ED.Methods.Ed;

/// <summary>The reference configuration of ED and FOD (Vzoooong/ED, main.py and trainer.py); every default of <see cref="EdOptions"/> and its groups comes from here.</summary>
internal static class EdDefaults
{
    /// <summary>The backbone: torchvision's wide_resnet50_2.</summary>
    public const string Backbone = "wide_resnet50_2";

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

    /// <summary>Adam beta1 (PyTorch's default, which the reference keeps).</summary>
    public const double Beta1 = 0.9;

    /// <summary>Adam beta2.</summary>
    public const double Beta2 = 0.999;

    /// <summary>Adam epsilon.</summary>
    public const double Epsilon = 1e-8;

    /// <summary>Weight of the correlation terms (lambda1).</summary>
    public const double Lambda1 = 0.5;

    /// <summary>Weight of the entropy terms (lambda2).</summary>
    public const double Lambda2 = 0.5;

    /// <summary>Standard deviation of the Gaussian smoothing of anomaly maps, in pixels.</summary>
    public const double SmoothingSigma = 4.0;

    /// <summary>The backbone stages the two levels read.</summary>
    public static IReadOnlyList<string> Levels { get; } = ["layer2", "layer3"];

    /// <summary>d_model of each level's transformer, in level order.</summary>
    public static IReadOnlyList<int> ModelDimensions { get; } = [256, 512];
}
