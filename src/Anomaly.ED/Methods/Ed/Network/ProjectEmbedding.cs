using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Network;

/// <summary>
/// The 1x1 projection C -> d_model of an <see cref="Embedding2D"/> (`project_embedding.project`, a Conv1d whose weight is
/// (d_model, C, 1)), initialised with kaiming-normal (fan_in, leaky_relu) as the reference.
/// </summary>
internal sealed class ProjectEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly Conv1d project;

    /// <summary>Creates the projection with the reference initialisation.</summary>
    /// <param name="inputChannels">Token size C.</param>
    /// <param name="modelDimension">d_model.</param>
    public ProjectEmbedding(int inputChannels, int modelDimension)
        : base(nameof(ProjectEmbedding))
    {
        project = nn.Conv1d(inputChannels, modelDimension, kernel_size: 1);
        RegisterComponents();
        nn.init.kaiming_normal_(project.weight, mode: nn.init.FanInOut.FanIn, nonlinearity: nn.init.NonlinearityType.LeakyReLU);
    }

    /// <summary>Projects tokens (B, L, C) to (B, L, d_model).</summary>
    /// <param name="input">Tokens (B, L, C).</param>
    /// <returns>Projected tokens (B, L, d_model).</returns>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();

        // A kernel-1 convolution over (B, C, L) is a Linear over the token channels; this avoids two transposes.
        return nn.functional.linear(input, project.weight!.squeeze(-1), project.bias).MoveToOuterDisposeScope();
    }
}
