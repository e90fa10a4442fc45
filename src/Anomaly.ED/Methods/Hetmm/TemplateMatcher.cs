using TorchSharp;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Hetmm;

/// <summary>
/// HETMM's affine-invariant template matching of one level, written with tensor operations (no custom kernel) so that it
/// runs on CPU and CUDA alike: for every query pixel the best cosine similarity to any template pixel in a window around
/// the same position (forward), and for every template pixel the best similarity to any query pixel in a window around it
/// (backward), both maximised over the templates.
/// </summary>
/// <remarks>
/// <para>The reference's two CUDA kernels (forward_ATM, backward_ATM) compute the same dot products, once each. Here one
/// batched matrix product per pixel gives, for every template position y and every offset e of the larger window, the best
/// similarity over the templates between the query pixel y + e and the templates at y: that table feeds the backward map
/// directly (a max over e) and the forward map after a shift by e (the query pixel x = y + e meets the template position
/// x - e). Out-of-grid offsets are skipped, as in the reference (no zero padding), and the result is floored at -1 as the
/// kernels' running maximum is.</para>
/// <para>Work is tiled over rows of pixels and chunks of templates so that temporaries stay below
/// <c>tileElements</c> floats whatever the window, the template count and the batch; the template chunk is fixed so that a
/// given template set is always matched with the same products, whichever way it was assembled.</para>
/// </remarks>
internal static class TemplateMatcher
{
    /// <summary>Templates per matrix product.</summary>
    public const int TemplateChunk = 128;

    /// <summary>The default bound on the floats a tile's temporaries hold (4 Mi floats, 16 MB, as <see cref="HetmmDefaults.MatchingMemoryMegabytes"/>).</summary>
    public const long DefaultTileElements = (long)HetmmDefaults.MatchingMemoryMegabytes * 1024 * 1024 / sizeof(float);

    /// <summary>The half-width of a window of side <paramref name="patch"/>: the reference uses floor(patch / 2), so an even patch acts as the next odd one.</summary>
    public static int HalfWidth(int patch) => patch / 2;

    /// <summary>The best similarities of one level.</summary>
    /// <param name="queries">Query features (B, C, H, W), L2-normalised over C, float32.</param>
    /// <param name="templates">The level's templates, position-major (H*W, N, C), float32 or float16, on the queries' device.</param>
    /// <param name="forwardPatch">Window side of the forward matching (each query pixel searches the templates).</param>
    /// <param name="backwardPatch">Window side of the backward matching (each template pixel searches the query).</param>
    /// <param name="tileElements">Bound on the floats held by a tile's temporaries.</param>
    /// <param name="computeType">A reduced type (bfloat16, float16) for the products, whose best similarities are taken back to
    /// float32 before anything else; null for float32.</param>
    /// <returns>Forward and backward best similarities, each (B, H, W) float32, floored at -1.</returns>
    public static (Tensor Forward, Tensor Backward) BestSimilarities(Tensor queries, Tensor templates, int forwardPatch, int backwardPatch, long tileElements = DefaultTileElements, ScalarType? computeType = null)
    {
        if (queries.ndim != 4 || templates.ndim != 3)
        {
            throw new ArgumentException($"Queries must be (B, C, H, W) and templates (H*W, N, C); got [{string.Join(", ", queries.shape)}] and [{string.Join(", ", templates.shape)}].");
        }

        long channels = queries.shape[1], height = queries.shape[2], width = queries.shape[3];
        if (templates.shape[0] != height * width || templates.shape[2] != channels || templates.shape[1] == 0)
        {
            throw new ArgumentException(
                $"Templates [{string.Join(", ", templates.shape)}] do not fit queries [{string.Join(", ", queries.shape)}]: expected ({height * width}, N > 0, {channels}).");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(forwardPatch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(backwardPatch);

        using var scope = NewDisposeScope();
        int forwardHalf = HalfWidth(forwardPatch), backwardHalf = HalfWidth(backwardPatch);
        var half = Math.Max(forwardHalf, backwardHalf);
        var side = (2 * half) + 1;
        var best = BestOverTemplates(queries.to(computeType ?? ScalarType.Float32), templates, half, tileElements);

        // best[b, e, y]: the query pixel y + e exists only for some e; the others must never win a maximum.
        var valid = OffsetValidity(height, width, half, queries.device);
        best = best.masked_fill(valid.logical_not().unsqueeze(0), float.NegativeInfinity);

        var backward = best.index_select(1, torch.tensor(WindowOffsets(half, backwardHalf), device: queries.device)).amax(1).clamp_min(-1);

        // forward[x] = max over e of best[e, x - e]: pad with -inf so that template positions outside the grid are skipped.
        var padded = nn.functional.pad(best, [half, half, half, half], PaddingModes.Constant, float.NegativeInfinity);
        Tensor? forward = null;
        for (var di = -forwardHalf; di <= forwardHalf; di++)
        {
            for (var dj = -forwardHalf; dj <= forwardHalf; dj++)
            {
                var e = ((di + half) * side) + dj + half;
                var plane = padded[TensorIndex.Colon, TensorIndex.Single(e), TensorIndex.Slice(half - di, half - di + height), TensorIndex.Slice(half - dj, half - dj + width)];
                forward = forward is null ? plane : maximum(forward, plane);
            }
        }

        forward = forward!.clamp_min(-1);
        return (forward.MoveToOuterDisposeScope(), backward.MoveToOuterDisposeScope());
    }

    // (B, side*side, H, W) float32: for template position y and offset e, the best dot product over the templates between the
    // query pixel y + e (zero outside the grid) and the templates at y, computed in the queries' type.
    private static Tensor BestOverTemplates(Tensor queries, Tensor templates, int half, long tileElements)
    {
        long batch = queries.shape[0], channels = queries.shape[1], height = queries.shape[2], width = queries.shape[3];
        var side = (2 * half) + 1;
        long offsets = side * side;
        var count = templates.shape[1];
        var chunk = Math.Min(count, TemplateChunk);
        var perPosition = (batch * offsets * (channels + chunk)) + (chunk * channels);
        var rows = (int)Math.Clamp(tileElements / (perPosition * width), 1, height);

        // Channels last, so that every window row is read as runs of C contiguous floats; im2col's (C*side*side, positions)
        // layout would make each product gather its matrix with a stride of side*side*positions floats.
        long paddedHeight = height + (2 * half), paddedWidth = width + (2 * half);
        var padded = nn.functional.pad(queries, [half, half, half, half]).permute(0, 2, 3, 1).contiguous();
        var result = empty([batch, offsets, height, width], ScalarType.Float32, queries.device);
        for (var top = 0; top < height; top += rows)
        {
            using var tileScope = NewDisposeScope();
            var bottom = (int)Math.Min(height, top + rows);
            var positions = (bottom - top) * width;

            // (rows, W, B, side, side, C) view of the band, copied once as (positions, B*side*side, C): for each template
            // position, the query pixels around it.
            var windows = padded.as_strided(
                    [bottom - top, width, batch, side, side, channels],
                    [paddedWidth * channels, channels, paddedHeight * paddedWidth * channels, paddedWidth * channels, channels, 1],
                    top * paddedWidth * channels)
                .reshape(positions, batch * offsets, channels);

            Tensor? tileBest = null;
            for (long first = 0; first < count; first += chunk)
            {
                var last = Math.Min(count, first + chunk);
                // Each template is converted once per tile and then meets every query pixel of its window: the conversion
                // costs one pass over the store per image, against B * side * side multiply-adds per element.
                var block = templates[TensorIndex.Slice(top * width, bottom * width), TensorIndex.Slice(first, last), TensorIndex.Colon].to(queries.dtype);
                // (positions, templates, B*side*side): the maximum over templates then runs over an outer axis, as whole
                // vectors, where over a 60-float innermost axis it cost two thirds of the product itself (layer1, batch 8).
                var similarities = bmm(block, windows.transpose(1, 2)).amax(1).to(ScalarType.Float32);
                tileBest = tileBest is null ? similarities : maximum(tileBest, similarities);
            }

            result[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(top, bottom), TensorIndex.Colon] =
                tileBest!.view(bottom - top, width, batch, offsets).permute(2, 3, 0, 1);
        }

        return result;
    }

    /// <summary>(side*side, H, W): whether the offset e from position y stays inside the grid.</summary>
    internal static Tensor OffsetValidity(long height, long width, int half, Device device)
    {
        var side = (2 * half) + 1;
        using var scope = NewDisposeScope();
        var ones = nn.functional.pad(torch.ones(1, 1, height, width, device: device), [half, half, half, half]);
        return (nn.functional.unfold(ones, side).view(side * side, height, width) > 0.5).MoveToOuterDisposeScope();
    }

    /// <summary>Indices of the offsets of a window of half-width <paramref name="inner"/> within one of half-width <paramref name="outer"/>.</summary>
    internal static long[] WindowOffsets(int outer, int inner)
    {
        var side = (2 * outer) + 1;
        var indices = new List<long>();
        for (var di = -inner; di <= inner; di++)
        {
            for (var dj = -inner; dj <= inner; dj++)
            {
                indices.Add(((di + outer) * side) + dj + outer);
            }
        }

        return [.. indices];
    }
}
