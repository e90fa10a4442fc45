using static TorchSharp.torch;

namespace Anomaly.ED.Data;

/// <summary>
/// A batch of preprocessed images with their masks, labels and items. The batch owns its CPU tensors (they
/// belong to no dispose scope): dispose it, or move the tensors you keep into your own scope.
/// </summary>
internal sealed class DatasetBatch : IDisposable
{
    internal DatasetBatch(Tensor images, Tensor masks, Tensor labels, IReadOnlyList<DatasetItem> items)
    {
        Images = images;
        Masks = masks;
        Labels = labels;
        Items = items;
    }

    /// <summary>The normalised images, float32 of shape (B, 3, H, W).</summary>
    public Tensor Images { get; }

    /// <summary>The binary masks, float32 of shape (B, 1, H, W): 1 is defect; all zero for normal images.</summary>
    public Tensor Masks { get; }

    /// <summary>The labels, int64 of shape (B): 0 normal, 1 defective.</summary>
    public Tensor Labels { get; }

    /// <summary>The items of the batch, in order.</summary>
    public IReadOnlyList<DatasetItem> Items { get; }

    /// <summary>The image paths of the batch, in order.</summary>
    public IReadOnlyList<string> Paths => Items.Select(i => i.ImagePath).ToArray();

    /// <summary>Number of images in the batch.</summary>
    public int Count => Items.Count;

    /// <summary>Disposes the three tensors.</summary>
    public void Dispose()
    {
        Images.Dispose();
        Masks.Dispose();
        Labels.Dispose();
    }
}
