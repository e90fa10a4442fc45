using System.Globalization;

namespace Anomaly.ED.Methods.Ed.Network;

/// <summary>
/// The configuration of one feature level's network (ED or its predecessor FOD). The defaults are ED's
/// first level at a 256x256 input (wide_resnet50_2 layer2: a 32x32 grid of 512 channels, d_model 256, 8 heads, 3 layers).
/// </summary>
/// <remarks>A network copies these values when it is built, so changing an instance afterwards has no effect on it.</remarks>
internal sealed class EdLevelOptions
{
    /// <summary>Number of token rows of the feature grid.</summary>
    /// <value>The default value is 32.</value>
    public int GridHeight { get; set; } = 32;

    /// <summary>Number of token columns of the feature grid.</summary>
    /// <value>The default value is 32.</value>
    public int GridWidth { get; set; } = 32;

    /// <summary>Channels of the backbone features (the token size C); the network reconstructs tokens of this size.</summary>
    /// <value>The default value is 512.</value>
    public int InputChannels { get; set; } = 512;

    /// <summary>Transformer width d_model; a multiple of 4 (2-D sine/cosine table) and of <see cref="Heads"/>.</summary>
    /// <value>The default value is 256.</value>
    public int ModelDimension { get; set; } = 256;

    /// <summary>The settings every level shares (heads, layers, widths, dropout, branches, position bias, output projection),
    /// read through the properties below rather than copied, so that their defaults live in one place.</summary>
    public EdNetworkOptions Network { get; init; } = new();

    /// <summary>Attention heads per branch (<see cref="EdNetworkOptions.Heads"/>).</summary>
    public int Heads { get => Network.Heads; set => Network.Heads = value; }

    /// <summary>Encoder layers (<see cref="EdNetworkOptions.Layers"/>).</summary>
    public int Layers { get => Network.Layers; set => Network.Layers = value; }

    /// <summary>Hidden width of the feed-forward and fusion blocks, as a multiple of d_model (<see cref="EdNetworkOptions.FeedForwardScale"/>).</summary>
    public int FeedForwardScale { get => Network.FeedForwardScale; set => Network.FeedForwardScale = value; }

    /// <summary>Dropout probability of the embeddings, attention maps, branch outputs and feed-forward block, in [0, 1) (<see cref="EdNetworkOptions.Dropout"/>).</summary>
    public double Dropout { get => Network.Dropout; set => Network.Dropout = value; }

    /// <summary>Whether the intra branch (self-attention with its Gaussian prior) takes part (<see cref="EdNetworkOptions.WithIntra"/>).</summary>
    public bool WithIntra { get => Network.WithIntra; set => Network.WithIntra = value; }

    /// <summary>Whether the inter branch (cross-attention to the reference features) takes part; it needs reference features (<see cref="EdNetworkOptions.WithInter"/>).</summary>
    public bool WithInter { get => Network.WithInter; set => Network.WithInter = value; }

    /// <summary>How the two branches are combined.</summary>
    /// <value>The default value is <see cref="FusionKind.Concatenate"/> (ED).</value>
    public FusionKind Fusion { get; set; } = FusionKind.Concatenate;

    /// <summary>Which feed-forward block each layer uses.</summary>
    /// <value>The default value is <see cref="FeedForwardKind.ConvolutionalMedian"/> (ED).</value>
    public FeedForwardKind FeedForward { get; set; } = FeedForwardKind.ConvolutionalMedian;

    /// <summary>Whether every attention adds a learned relative-position bias (`attention_biases`, indexed by `attention_bias_idxs`; <see cref="EdNetworkOptions.RelativePositionBias"/>).</summary>
    public bool RelativePositionBias { get => Network.RelativePositionBias; set => Network.RelativePositionBias = value; }

    /// <summary>How attention scores are scaled.</summary>
    /// <value>The default value is <see cref="AttentionScaleKind.Learnable"/> (ED).</value>
    public AttentionScaleKind Scale { get; set; } = AttentionScaleKind.Learnable;

    /// <summary>Whether the attention output goes through `out_projection`, which the reference computes and discards (<see cref="EdNetworkOptions.UseOutProjection"/>).</summary>
    public bool UseOutProjection { get => Network.UseOutProjection; set => Network.UseOutProjection = value; }

    /// <summary>Number of tokens L = <see cref="GridHeight"/> x <see cref="GridWidth"/>.</summary>
    public int TokenCount => GridHeight * GridWidth;

    /// <summary>Hidden width F = <see cref="ModelDimension"/> x <see cref="FeedForwardScale"/>.</summary>
    public int FeedForwardDimension => ModelDimension * FeedForwardScale;

    /// <summary>ED options for one level (concatenating fusion, convolutional-median feed-forward, learnable scale).</summary>
    /// <param name="gridHeight">Token rows.</param>
    /// <param name="gridWidth">Token columns.</param>
    /// <param name="inputChannels">Feature channels C.</param>
    /// <param name="modelDimension">d_model.</param>
    /// <param name="heads">Attention heads.</param>
    /// <param name="layers">Encoder layers.</param>
    /// <returns>New options; adjust further properties as needed.</returns>
    public static EdLevelOptions Ed(int gridHeight, int gridWidth, int inputChannels, int modelDimension, int heads = 8, int layers = 3) => new()
    {
        GridHeight = gridHeight,
        GridWidth = gridWidth,
        InputChannels = inputChannels,
        ModelDimension = modelDimension,
        Heads = heads,
        Layers = layers,
    };

    /// <summary>FOD options for one level (difference fusion, plain feed-forward, fixed scale).</summary>
    /// <param name="gridHeight">Token rows.</param>
    /// <param name="gridWidth">Token columns.</param>
    /// <param name="inputChannels">Feature channels C.</param>
    /// <param name="modelDimension">d_model.</param>
    /// <param name="heads">Attention heads.</param>
    /// <param name="layers">Encoder layers.</param>
    /// <returns>New options; adjust further properties as needed.</returns>
    public static EdLevelOptions Fod(int gridHeight, int gridWidth, int inputChannels, int modelDimension, int heads = 8, int layers = 3)
    {
        var options = Ed(gridHeight, gridWidth, inputChannels, modelDimension, heads, layers);
        options.Fusion = FusionKind.Difference;
        options.FeedForward = FeedForwardKind.Plain;
        options.Scale = AttentionScaleKind.Fixed;
        return options;
    }

    /// <summary>A copy of these options.</summary>
    /// <returns>An independent instance with the same values.</returns>
    public EdLevelOptions Clone() => new()
    {
        GridHeight = GridHeight,
        GridWidth = GridWidth,
        InputChannels = InputChannels,
        ModelDimension = ModelDimension,
        Network = Network.Clone(),
        Fusion = Fusion,
        FeedForward = FeedForward,
        Scale = Scale,
    };

    /// <summary>Checks every rule and throws one exception that lists all problems found.</summary>
    /// <exception cref="ArgumentException">One or more options are invalid; the message names each option and its value.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        void Positive(string name, int value)
        {
            if (value <= 0)
            {
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"{name} must be positive (was {value})."));
            }
        }

        Positive(nameof(GridHeight), GridHeight);
        Positive(nameof(GridWidth), GridWidth);
        Positive(nameof(InputChannels), InputChannels);
        Positive(nameof(ModelDimension), ModelDimension);
        Positive(nameof(Heads), Heads);
        Positive(nameof(Layers), Layers);
        Positive(nameof(FeedForwardScale), FeedForwardScale);

        if (ModelDimension > 0 && ModelDimension % 4 != 0)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(ModelDimension)} must be a multiple of 4 for the 2-D sine/cosine positional table (was {ModelDimension})."));
        }

        if (ModelDimension > 0 && Heads > 0 && ModelDimension % Heads != 0)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(ModelDimension)} ({ModelDimension}) must be divisible by {nameof(Heads)} ({Heads})."));
        }

        if (double.IsNaN(Dropout) || Dropout < 0 || Dropout >= 1)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(Dropout)} must be in [0, 1) (was {Dropout})."));
        }

        if (!Enum.IsDefined(Fusion))
        {
            problems.Add($"{nameof(Fusion)} has an unknown value ({(int)Fusion}).");
        }

        if (!Enum.IsDefined(FeedForward))
        {
            problems.Add($"{nameof(FeedForward)} has an unknown value ({(int)FeedForward}).");
        }

        if (!Enum.IsDefined(Scale))
        {
            problems.Add($"{nameof(Scale)} has an unknown value ({(int)Scale}).");
        }

        if (GridHeight > 0 && GridWidth > 0 && (long)GridHeight * GridWidth > int.MaxValue)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(GridHeight)} x {nameof(GridWidth)} ({GridHeight} x {GridWidth}) is too many tokens."));
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid ED level options: " + string.Join(" ", problems));
        }
    }
}
