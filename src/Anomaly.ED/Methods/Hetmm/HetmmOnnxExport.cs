using System.Globalization;
using Anomaly.ED.Export;
using Anomaly.ED.Export.Int8;
using static TorchSharp.torch;
using DataType = Anomaly.ED.Formats.Onnx.TensorProto.Types.DataType;

namespace Anomaly.ED.Methods.Hetmm;

/// <summary>
/// HETMM as ONNX nodes: per level the L2-normalised features, the windowed matching against the model's templates of
/// <see cref="TemplateMatcher"/> (forward and backward best similarities), the weighting of <see cref="AtmmScorer"/>,
/// then the summed, upsampled levels and the preset's pixel map and image score (<see cref="HetmmMapGenerator"/>).
/// </summary>
/// <remarks>
/// <para>The templates are stored as the model holds them (float16 templates stay float16 and are cast in the graph,
/// as the matcher casts them), laid out (positions, channels, templates) in tiles of positions and chunks of templates, one
/// batched MatMul each.</para>
/// <para>In int8 the query pixels are uint8 and the templates int8, each on one scale per level taken from the level's
/// templates (L2-normalised features of normal images, as the queries are); the products and their maxima are integers
/// (<c>MatMulInteger</c>), and one multiplication by the two scales brings the best similarities back to float32.</para>
/// </remarks>
internal sealed class HetmmOnnxExport(HetmmModel model, OnnxPrecision precision) : IOnnxMethodGraph
{
    // AtmmScorer.Normalize: nn.functional.normalize's eps.
    private const float NormEpsilon = 1e-12f;

    // The batch the matching's tiles are sized for: a smaller batch gets smaller tiles, a larger one larger tiles.
    private const long TileBatch = 8;

    public (string Unsmoothed, string Map, string Score) AddGraph(OnnxGraphBuilder graph, IReadOnlyList<string> features)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(features);
        var configuration = HetmmConfiguration.FromOptions(model.Options.Hetmm!);
        var stages = model.Extractor.Stages;
        if (features.Count != configuration.Levels.Count)
        {
            throw new ArgumentException($"The model has {configuration.Levels.Count} levels but {features.Count} feature maps were given.", nameof(features));
        }

        var grids = new List<string>();
        for (var level = 0; level < features.Count; level++)
        {
            using var scope = graph.Scope(string.Create(CultureInfo.InvariantCulture, $"level{level}"));
            using var tensors = NewDisposeScope();
            var (height, width) = (stages[level].OutputSize(model.Height), stages[level].OutputSize(model.Width));
            grids.Add(LevelScores(graph, features[level], model.Templates.Level(level), configuration.Levels[level], height, width, precision));
        }

        var combined = OnnxPostProcessing.Upsample(graph, grids[0], model.Height, model.Width);
        for (var i = 1; i < grids.Count; i++)
        {
            combined = graph.Add(combined, OnnxPostProcessing.Upsample(graph, grids[i], model.Height, model.Width));
        }

        var map = Filter(graph, combined, configuration.PixelMap, model.Height, model.Width);
        var score = configuration.ImageScore.Kind == MapFilterKind.MaxPoolMean
            ? MaxPoolMean(graph, combined, configuration.ImageScore.KernelSize)
            : OnnxPostProcessing.MaximumScore(graph, Filter(graph, combined, configuration.ImageScore, model.Height, model.Width));
        return (combined, map, score);
    }

    // alpha (1 - forward) + (1 - alpha)(1 - backward), times lambda, on the level's (B, h, w) grid.
    private static string LevelScores(OnnxGraphBuilder g, string features, Tensor templates, HetmmLevelParameters parameters, int height, int width, OnnxPrecision precision)
    {
        var norm = g.Node("ReduceL2", [features], OnnxGraphBuilder.Ints("axes", 1), OnnxGraphBuilder.Int("keepdims", 1));
        var queries = g.Div(features, g.Node("Max", [norm, g.Scalar(NormEpsilon)]));
        var matching = precision == OnnxPrecision.Int8 ? Int8Matching.For(templates) : null;
        var (forward, backward) = BestSimilarities(g, queries, templates, parameters.ForwardPatch, parameters.BackwardPatch, height, width, matching);
        var one = g.Scalar(1f);
        var grid = g.Add(
            g.Mul(g.Sub(one, forward), g.Scalar((float)parameters.Alpha)),
            g.Mul(g.Sub(one, backward), g.Scalar((float)(1 - parameters.Alpha))));
        return g.Mul(grid, g.Scalar((float)parameters.Lambda));
    }

    // TemplateMatcher.BestSimilarities, on the matching's own (h, w, offsets, B) layout: best[y, e, b] is the best dot product
    // over the templates at position y with the query pixel y + e (zero outside the grid); backward takes the maximum over
    // the inner window of offsets at y, where a query pixel outside the grid must never win (masked to -inf), forward the
    // maximum over offsets e of best[x - e, e], whose query pixel x is always inside; both clamped at -1, then (B, h, w).
    // Transposing best to (B, offsets, h, w) first, and masking all of it, cost a third of the int8 graph's time (ONNX
    // Runtime moved it one float at a time: 61-68 ms per batch of 8 at layer1).
    private static (string Forward, string Backward) BestSimilarities(OnnxGraphBuilder g, string queries, Tensor templates, int forwardPatch, int backwardPatch, int height, int width, Int8Matching? int8)
    {
        int forwardHalf = TemplateMatcher.HalfWidth(forwardPatch), backwardHalf = TemplateMatcher.HalfWidth(backwardPatch);
        var half = Math.Max(forwardHalf, backwardHalf);
        var side = (2 * half) + 1;

        var best = BestOverTemplates(g, queries, templates, half, height, width, int8);

        var inner = TemplateMatcher.WindowOffsets(half, backwardHalf);
        var valid = TemplateMatcher.OffsetValidity(height, width, half, CPU).index_select(0, tensor(inner)).permute(1, 2, 0).unsqueeze(-1);
        var window = g.Node("Gather", [best, g.Int64s(inner)], OnnxGraphBuilder.Int("axis", 2));
        var backward = g.ReduceMax(g.Node("Where", [g.Initializer("valid_offsets", valid), window, g.Scalar(float.NegativeInfinity)]), keepDims: false, 2);

        var surrounded = g.Node("Pad", [best, g.Int64s(half, half, 0, 0, half, half, 0, 0), g.Scalar(float.NegativeInfinity)]);
        var planes = new List<string>();
        for (var di = -forwardHalf; di <= forwardHalf; di++)
        {
            for (var dj = -forwardHalf; dj <= forwardHalf; dj++)
            {
                var e = ((di + half) * side) + dj + half;
                planes.Add(g.Node("Slice", [surrounded, g.Int64s(half - di, half - dj, e), g.Int64s(half - di + height, half - dj + width, e + 1), g.Int64s(0, 1, 2)]));
            }
        }

        var forward = g.Squeeze(planes.Count == 1 ? planes[0] : g.Node("Max", planes), 2);
        var floor = g.Scalar(-1f);
        return (g.Transpose(g.Node("Max", [forward, floor]), 2, 0, 1), g.Transpose(g.Node("Max", [backward, floor]), 2, 0, 1));
    }

    // (h, w, offsets, B): for template position y and offset e, the best dot product over the templates between the query
    // pixel y + e (zero outside the grid) and the templates at y. As TemplateMatcher, the work is tiled over positions and
    // template chunks so that a tile's temporaries stay in cache: matching a whole level at once made batches slower per
    // image than single images. The batch is symbolic, so tiles are sized for TileBatch images.
    private static string BestOverTemplates(OnnxGraphBuilder g, string queries, Tensor templates, int half, int height, int width, Int8Matching? int8)
    {
        var side = (2 * half) + 1;
        var offsets = side * side;
        long positions = (long)height * width, channels = templates.shape[2], count = templates.shape[1];
        var chunk = Math.Min(count, TemplateMatcher.TemplateChunk);
        var perPosition = (TileBatch * offsets * (channels + chunk)) + (chunk * channels);
        var tilePositions = Math.Clamp(TemplateMatcher.DefaultTileElements / perPosition, 1, positions);

        // (padded positions, B, C): each gathered query pixel is one run of C floats, and a tile's products take the whole
        // batch at once (B * offsets rows per template position), as TemplateMatcher's do.
        var padded = g.Node("Pad", [queries, g.Int64s(0, 0, half, half, 0, 0, half, half)]);
        var pixels = g.Transpose(g.Reshape(padded, 0, channels, -1), 2, 0, 1);
        var zeroPoint = int8 is null ? null : g.Initializer("zero_point", tensor(int8.Queries.ZeroPoint));
        if (int8 is not null)
        {
            // Quantized after the padding, whose zeros become the zero point and so add nothing to the products.
            pixels = g.Node("QuantizeLinear", [pixels, g.Scalar(int8.Queries.Scale), zeroPoint!]);
        }

        var tiles = new List<string>();
        for (long first = 0; first < positions; first += tilePositions)
        {
            var last = Math.Min(positions, first + tilePositions);

            // (tile positions, offsets * B, C): the query pixels around each template position of the tile.
            var windows = g.Node("Gather", [pixels, g.Initializer("window_pixels", WindowPixels(first, last, width, side))], OnnxGraphBuilder.Int("axis", 0));
            windows = g.Reshape(windows, last - first, -1, channels);
            string? tileBest = null;
            for (long from = 0; from < count; from += chunk)
            {
                var block = templates[TensorIndex.Slice(first, last), TensorIndex.Slice(from, Math.Min(count, from + chunk)), TensorIndex.Colon].permute(0, 2, 1);
                string products;
                if (int8 is null)
                {
                    var stored = g.Initializer("templates", block);
                    var matrices = templates.dtype == ScalarType.Float32 ? stored : g.Node("Cast", [stored], OnnxGraphBuilder.Int("to", (long)DataType.Float));
                    products = g.MatMul(windows, matrices);
                }
                else
                {
                    products = g.Node("MatMulInteger", [windows, g.Initializer("templates", int8.Quantize(block)), zeroPoint!]);
                }

                var similarities = g.ReduceMax(products, keepDims: false, -1);
                tileBest = tileBest is null ? similarities : g.Node("Max", [tileBest, similarities]);
            }

            tiles.Add(tileBest!);
        }

        // (positions, offsets * B) to (h, w, offsets, B).
        var best = tiles.Count == 1 ? tiles[0] : g.Node("Concat", tiles, OnnxGraphBuilder.Int("axis", 0));
        if (int8 is not null)
        {
            best = g.Mul(g.Node("Cast", [best], OnnxGraphBuilder.Int("to", (long)DataType.Float)), g.Scalar(int8.Queries.Scale * int8.TemplateScale));
        }

        return g.Reshape(best, height, width, offsets, -1);
    }

    // (tile positions, offsets): the index, in the padded grid's flattened positions, of the query pixel at each offset of
    // each template position from first to last.
    private static Tensor WindowPixels(long first, long last, int width, int side)
    {
        var paddedWidth = width + side - 1;
        var indices = new long[(last - first) * side * side];
        var i = 0;
        for (var position = first; position < last; position++)
        {
            long row = position / width, column = position % width;
            for (var di = 0; di < side; di++)
            {
                for (var dj = 0; dj < side; dj++)
                {
                    indices[i++] = ((row + di) * paddedWidth) + column + dj;
                }
            }
        }

        return tensor(indices, [last - first, side * side]);
    }

    // HetmmMapGenerator.Filter: the map as it is, or blurred by the preset's kernel with zero padding, as the same two
    // products with banded matrices.
    private static string Filter(OnnxGraphBuilder g, string maps, MapFilter filter, int height, int width)
    {
        if (filter.Kind == MapFilterKind.Clean)
        {
            return maps;
        }

        using var tensors = NewDisposeScope();
        var (columns, rows) = HetmmMapGenerator.BlurMatrices(filter.Sigma, filter.KernelSize, height, width);
        var blurredColumns = g.Node("MatMul", [g.Initializer("blur_columns", columns), maps]);
        return g.Node("MatMul", [blurredColumns, g.Initializer("blur_rows", rows)]);
    }

    // HetmmMapGenerator.MaxPoolMean: max-pool with the kernel as stride (remainder dropped), then the mean.
    private static string MaxPoolMean(OnnxGraphBuilder g, string maps, int size)
    {
        var pooled = g.Node("MaxPool", [g.Unsqueeze(maps, 1)], OnnxGraphBuilder.Ints("kernel_shape", size, size), OnnxGraphBuilder.Ints("strides", size, size));
        return g.ReduceMean(g.Reshape(pooled, 0, -1), keepDims: false, 1);
    }

    // One level's int8 matching: the queries' uint8 quantization and the templates' symmetric int8 scale.
    private sealed record Int8Matching(UInt8Quantization Queries, float TemplateScale)
    {
        public static Int8Matching For(Tensor templates)
        {
            using var scope = NewDisposeScope();
            var values = templates.to(ScalarType.Float32);
            var range = ActivationRange.Of(values, "templates");
            var largest = Math.Max(Math.Abs(range.Min), Math.Abs(range.Max));
            return new Int8Matching(UInt8Quantization.Covering(range), largest > 0 ? largest / sbyte.MaxValue : 1f);
        }

        public Tensor Quantize(Tensor templates) =>
            (templates.to(ScalarType.Float32) / TemplateScale).round().clamp(-sbyte.MaxValue, sbyte.MaxValue).to(ScalarType.Int8);
    }
}
