using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed.Network;

/// <summary>
/// Fixed tables over an H x W token grid (token i sits at row i / W, column i % W): the 2-D sine/cosine positional table,
/// the squared row/column distances of the Gaussian prior (full and separable) and the relative-offset index of the position bias.
/// </summary>
internal static class GridGeometry
{
    /// <summary>
    /// The reference 2-D sine/cosine table (d_model, H, W) in float32: with half = d/2 and div_k = exp(2k * -ln(10000)/half),
    /// channel 2k is sin(col div_k), 2k+1 cos(col div_k), half+2k sin(row div_k) and half+2k+1 cos(row div_k).
    /// </summary>
    /// <param name="modelDimension">d_model, a positive multiple of 4.</param>
    /// <param name="height">Grid rows.</param>
    /// <param name="width">Grid columns.</param>
    /// <returns>A new float32 CPU tensor of shape (d_model, height, width).</returns>
    public static Tensor PositionalTable(int modelDimension, int height, int width)
    {
        if (modelDimension <= 0 || modelDimension % 4 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(modelDimension), modelDimension, "The 2-D sine/cosine table needs a positive multiple of 4.");
        }

        CheckGrid(height, width);
        using var scope = NewDisposeScope();
        var half = modelDimension / 2;

        // Same float32 operations as the reference: arange * (-ln(1e4) / half), exp, position * div.
        var div = (arange(0.0, half, 2.0, dtype: ScalarType.Float32) * (-(Math.Log(1e4) / half))).exp();
        var columns = arange(0.0, width, dtype: ScalarType.Float32).unsqueeze(1) * div;   // (W, K)
        var rows = arange(0.0, height, dtype: ScalarType.Float32).unsqueeze(1) * div;     // (H, K)

        var columnPart = stack([columns.sin().t(), columns.cos().t()], 1)                  // (K, 2, W)
            .reshape(half, 1, width).expand(half, height, width);
        var rowPart = stack([rows.sin().t(), rows.cos().t()], 1)                           // (K, 2, H)
            .reshape(half, height, 1).expand(half, height, width);
        return cat([columnPart, rowPart], 0).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>The positional table laid out per token: (L = H*W, d_model), row i being token i.</summary>
    /// <param name="modelDimension">d_model, a positive multiple of 4.</param>
    /// <param name="height">Grid rows.</param>
    /// <param name="width">Grid columns.</param>
    /// <returns>A new float32 CPU tensor of shape (L, d_model).</returns>
    public static Tensor PositionalTokens(int modelDimension, int height, int width)
    {
        using var scope = NewDisposeScope();
        return PositionalTable(modelDimension, height, width).permute(1, 2, 0)
            .reshape((long)height * width, modelDimension).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Row and column of every token as float32 vectors of length L (exact small integers).</summary>
    /// <param name="height">Grid rows.</param>
    /// <param name="width">Grid columns.</param>
    /// <returns>(rows, columns), each a new float32 CPU tensor of shape (L).</returns>
    public static (Tensor Rows, Tensor Columns) TokenCoordinates(int height, int width)
    {
        CheckGrid(height, width);
        using var scope = NewDisposeScope();
        var index = arange((long)height * width, dtype: ScalarType.Int64);
        var rows = index.div(width, rounding_mode: RoundingMode.floor).to(ScalarType.Float32);
        var columns = index.remainder(width).to(ScalarType.Float32);
        return (rows.MoveToOuterDisposeScope(), columns.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Squared distances between tokens, as the reference's create_distance_maps.py: y[i, j] = (row_i - row_j)^2 and
    /// x[i, j] = (col_i - col_j)^2, float32 (L, L).
    /// </summary>
    /// <param name="height">Grid rows.</param>
    /// <param name="width">Grid columns.</param>
    /// <returns>(distances_y, distances_x), new float32 CPU tensors of shape (L, L).</returns>
    public static (Tensor DistancesY, Tensor DistancesX) SquaredDistances(int height, int width)
    {
        using var scope = NewDisposeScope();
        var (rows, columns) = TokenCoordinates(height, width);
        return (PairwiseSquared(rows).MoveToOuterDisposeScope(), PairwiseSquared(columns).MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The separable form of the squared distances: for every token i, (row_i - r)^2 for each grid row r and
    /// (col_i - c)^2 for each grid column c. The prior's exponent for tokens i, j is built from one entry of each.
    /// </summary>
    /// <param name="height">Grid rows.</param>
    /// <param name="width">Grid columns.</param>
    /// <returns>(rows (L, height), columns (L, width)), new float32 CPU tensors.</returns>
    internal static (Tensor RowDistances, Tensor ColumnDistances) AxisDistances(int height, int width)
    {
        using var scope = NewDisposeScope();
        var (rows, columns) = TokenCoordinates(height, width);
        var rowDifference = rows.unsqueeze(1) - arange(0.0, height, dtype: ScalarType.Float32).unsqueeze(0);
        var columnDifference = columns.unsqueeze(1) - arange(0.0, width, dtype: ScalarType.Float32).unsqueeze(0);
        return ((rowDifference * rowDifference).MoveToOuterDisposeScope(), (columnDifference * columnDifference).MoveToOuterDisposeScope());
    }

    /// <summary>(v_i - v_j)^2 for a coordinate vector v of length L: an (L, L) table.</summary>
    /// <param name="coordinates">Token coordinates (L).</param>
    /// <returns>A new (L, L) tensor on the device and in the type of <paramref name="coordinates"/>.</returns>
    public static Tensor PairwiseSquared(Tensor coordinates)
    {
        ArgumentNullException.ThrowIfNull(coordinates);
        using var scope = NewDisposeScope();
        var difference = coordinates.unsqueeze(1) - coordinates.unsqueeze(0);
        return (difference * difference).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The relative-position index table (L, L), int64: idx[i, j] = |row_i - row_j| * W + |col_i - col_j|, the order in which
    /// the reference enumerates offsets; there are H*W offset classes.
    /// </summary>
    /// <param name="height">Grid rows.</param>
    /// <param name="width">Grid columns.</param>
    /// <returns>A new int64 CPU tensor of shape (L, L).</returns>
    public static Tensor RelativeOffsetIndex(int height, int width)
    {
        CheckGrid(height, width);
        using var scope = NewDisposeScope();
        var index = arange((long)height * width, dtype: ScalarType.Int64);
        var rows = index.div(width, rounding_mode: RoundingMode.floor);
        var columns = index.remainder(width);
        var dy = (rows.unsqueeze(1) - rows.unsqueeze(0)).abs();
        var dx = (columns.unsqueeze(1) - columns.unsqueeze(0)).abs();
        return (dy * width + dx).MoveToOuterDisposeScope();
    }

    private static void CheckGrid(int height, int width)
    {
        if (height <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(height), height, "Grid height must be positive.");
        }

        if (width <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(width), width, "Grid width must be positive.");
        }
    }
}
