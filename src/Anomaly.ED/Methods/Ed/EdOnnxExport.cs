using System.Globalization;
using Anomaly.ED.Export;
using Anomaly.ED.Methods.Ed.Network;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Ed;

/// <summary>
/// ED and FOD as ONNX nodes: per level the token pooling, the level network with its reference features, the token
/// scores of <see cref="Scoring.EdTokenScorer"/> and <see cref="Scoring.EdAnomalyScorer"/>; then the shared
/// upsampling, averaging, smoothing and maximum.
/// </summary>
/// <remarks>What depends only on the model (the reference tokens' embedding and the cross-attention keys and values
/// computed from it) is computed here with the model's own modules and stored as constants.</remarks>
internal sealed class EdOnnxExport(EdModel model) : IOnnxMethodGraph
{
    // TiledAttention.LogEpsilon: the KL terms use log(p + 1e-4).
    private const float LogEpsilon = (float)TiledAttention.LogEpsilon;

    // The eps of the library's cosine similarity and layer norms.
    private const float CosineEpsilon = 1e-8f;
    private const double LayerNormEpsilon = 1e-5;

    public (string Unsmoothed, string Map, string Score) AddGraph(OnnxGraphBuilder graph, IReadOnlyList<string> features)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(features);
        var networks = model.Networks;
        if (features.Count != networks.Count)
        {
            throw new ArgumentException($"The model has {networks.Count} levels but {features.Count} feature maps were given.", nameof(features));
        }

        var grids = new List<string>();
        for (var level = 0; level < networks.Count; level++)
        {
            using var scope = graph.Scope(string.Create(CultureInfo.InvariantCulture, $"level{level}"));
            using var tensors = NewDisposeScope();
            using var noGrad = no_grad();
            grids.Add(new LevelGraph(graph, networks[level], model.Options.Ed!.Network.Score).Scores(features[level]));
        }

        var combined = OnnxPostProcessing.CombineLevels(graph, grids, model.Height, model.Width);
        var smoothed = model.MapGenerator.Smoother is { } smoother ? OnnxPostProcessing.Smooth(graph, combined, smoother, model.Height, model.Width) : combined;
        return (combined, smoothed, OnnxPostProcessing.MaximumScore(graph, smoothed));
    }

    private sealed class LevelGraph
    {
        private readonly OnnxGraphBuilder g;
        private readonly EdLevelNetwork network;
        private readonly EdLevelOptions o;
        private readonly AnomalyScoreKind kind;
        private readonly Dictionary<string, Tensor> p;

        public LevelGraph(OnnxGraphBuilder graph, EdLevelNetwork network, AnomalyScoreKind kind)
        {
            g = graph;
            this.network = network;
            o = network.Options;
            this.kind = kind;
            p = network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value);
            var missing = kind switch
            {
                AnomalyScoreKind.ReconstructionTimesInter when !o.WithInter => "inter",
                AnomalyScoreKind.ReconstructionTimesIntra when !o.WithIntra => "intra",
                _ => null,
            };
            if (missing is not null)
            {
                throw new InvalidOperationException($"Score kind {kind} needs the {missing} branch, but the level networks were built without it.");
            }
        }

        /// <summary>The level's (B, h, w) token scores from its (B, C, h, w) feature map.</summary>
        public string Scores(string featureMap)
        {
            // FeatureTokens: AvgPool2d(3, 1, 1) counting the zero padding, then (B, L, C).
            var pooled = g.Node(
                "AveragePool",
                [featureMap],
                OnnxGraphBuilder.Ints("kernel_shape", 3, 3),
                OnnxGraphBuilder.Ints("strides", 1, 1),
                OnnxGraphBuilder.Ints("pads", 1, 1, 1, 1),
                OnnxGraphBuilder.Int("count_include_pad", 1));
            var tokens = g.Transpose(g.Reshape(pooled, 0, o.InputChannels, -1), 0, 2, 1);

            var projection = p["embedding.project_embedding.project.weight"].squeeze(-1);
            var x = g.Add(g.Linear(tokens, projection, p["embedding.project_embedding.project.bias"], "embedding"), g.Initializer("embedding.pos_embed", network.Embedding.PositionalTokens));
            var reference = o.WithInter ? network.ReferenceEmbedding!.call(network.ReferenceTokens) : null;

            var correlations = new List<string>();
            for (var layer = 0; layer < o.Layers; layer++)
            {
                using var scope = g.Scope(string.Create(CultureInfo.InvariantCulture, $"layer{layer}"));
                (x, var correlation) = EncoderLayer(string.Create(CultureInfo.InvariantCulture, $"encoder.encode_layers.{layer}."), x, reference);
                if (correlation is not null)
                {
                    correlations.Add(correlation);
                }
            }

            x = g.LayerNorm(x, p["encoder.norm.weight"], p["encoder.norm.bias"], LayerNormEpsilon, "encoder.norm");
            var reconstruction = g.Linear(x, p["projection.weight"], p["projection.bias"], "projection");
            var score = TokenScores(tokens, reconstruction, correlations);
            return g.Reshape(score, 0, o.GridHeight, o.GridWidth);
        }

        // EncoderLayer.forward; also returns the per-token correlation (B, L) of the branch the score reads, if any.
        private (string Output, string? Correlation) EncoderLayer(string prefix, string x, Tensor? reference)
        {
            string combined;
            string? correlation = null;
            if (o.WithInter)
            {
                var (inter, interCorrelation) = Attention(prefix + "cross_attention.", x, reference, kind == AnomalyScoreKind.ReconstructionTimesInter);
                var interResult = g.Add(x, inter);
                correlation = interCorrelation;
                if (o.WithIntra)
                {
                    var (intra, intraCorrelation) = Attention(prefix + "self_attention.", x, null, kind == AnomalyScoreKind.ReconstructionTimesIntra);
                    var intraResult = g.Add(x, intra);
                    correlation ??= intraCorrelation;
                    combined = o.Fusion == FusionKind.Concatenate
                        ? Fusion(prefix + "fusion.fc.", intraResult, interResult)
                        : g.Sub(intraResult, interResult);
                }
                else
                {
                    combined = interResult;
                }
            }
            else
            {
                var (self, selfCorrelation) = Attention(prefix + "self_attention.", x, null, kind == AnomalyScoreKind.ReconstructionTimesIntra);
                correlation = selfCorrelation;
                combined = g.Add(x, self);
            }

            var y = g.LayerNorm(combined, p[prefix + "norm1.weight"], p[prefix + "norm1.bias"], LayerNormEpsilon, prefix + "norm1");
            var ffn = o.FeedForward == FeedForwardKind.ConvolutionalMedian ? ConvolutionalFeedForward(prefix + "ffn.", y) : PlainFeedForward(prefix + "ffn.", y);
            return (g.LayerNorm(g.Add(y, ffn), p[prefix + "norm2.weight"], p[prefix + "norm2.bias"], LayerNormEpsilon, prefix + "norm2"), correlation);
        }

        // Attention2D.forward in eval mode. Keys and values come from the tokens (self) or, for the cross attention, from
        // the constant reference embedding; the correlation is the per-token KL(A, P) + KL(P, A), averaged over heads.
        private (string Output, string? Correlation) Attention(string prefix, string query, Tensor? reference, bool withCorrelation)
        {
            var heads = o.Heads;
            var q = g.Transpose(g.Reshape(Linear(prefix + "query_projection", query), 0, 0, heads, -1), 0, 2, 1, 3);
            var scale = p.TryGetValue(prefix + "scale_factor", out var learned) ? learned.item<float>() : (float)(1.0 / Math.Sqrt(o.ModelDimension / heads));
            var scaled = g.Mul(q, g.Scalar(scale));

            string keysTransposed, values;
            if (reference is null)
            {
                keysTransposed = g.Transpose(g.Reshape(Linear(prefix + "key_projection", query), 0, 0, heads, -1), 0, 2, 3, 1);
                values = g.Transpose(g.Reshape(Linear(prefix + "value_projection", query), 0, 0, heads, -1), 0, 2, 1, 3);
            }
            else
            {
                var k = ProjectReference(prefix + "key_projection", reference);
                var v = ProjectReference(prefix + "value_projection", reference);
                keysTransposed = g.Initializer(prefix + "reference_keys_t", k.transpose(-2, -1).contiguous());
                values = g.Initializer(prefix + "reference_values", v);
            }

            var scores = g.MatMul(scaled, keysTransposed);
            if (p.TryGetValue(prefix + "attention_biases", out var biases))
            {
                var index = GridGeometry.RelativeOffsetIndex(o.GridHeight, o.GridWidth);
                var bias = biases.index_select(1, index.flatten()).view(heads, o.TokenCount, o.TokenCount);
                scores = g.Add(scores, g.Initializer(prefix + "relative_bias", bias));
            }

            var attention = g.Softmax(scores, -1);
            var output = g.Reshape(g.Transpose(g.MatMul(attention, values), 0, 2, 1, 3), 0, 0, -1);
            if (o.UseOutProjection)
            {
                output = Linear(prefix + "out_projection", output);
            }

            return (output, withCorrelation ? Correlation(prefix, query, attention) : null);
        }

        // The prior of Attention2D.PriorWidths and TiledAttention.PriorBlock (row and column factors, each normalised),
        // and TiledAttention.Correlations: sum_j (p - a)(log(p + eps) - log(a + eps)), mean over heads.
        private string Correlation(string prefix, string query, string attention)
        {
            var raw = g.Transpose(g.Reshape(Linear(prefix + "sigma_projection", query), 0, 0, o.Heads, 2), 0, 2, 1, 3);
            var squashed = g.Add(g.Node("Sigmoid", [g.Mul(raw, g.Scalar(5f))]), g.Scalar(1e-5f));
            var sigma = g.Sub(g.Node("Pow", [g.Scalar(3f), squashed]), g.Scalar(1f));
            var (rowDistances, columnDistances) = GridGeometry.AxisDistances(o.GridHeight, o.GridWidth);
            var rows = Factor(rowDistances, g.Slice(sigma, 3, 0, 1), "row_distances");
            var columns = Factor(columnDistances, g.Slice(sigma, 3, 1, 2), "column_distances");
            var prior = g.Reshape(g.Mul(g.Unsqueeze(rows, -1), g.Unsqueeze(columns, -2)), 0, 0, 0, -1);
            var symmetric = g.Mul(g.Sub(prior, attention), g.Sub(Log(prior), Log(attention)));
            return g.ReduceMean(g.ReduceSum(symmetric, keepDims: false, -1), keepDims: false, 1);
        }

        // exp(-d / (2 s^2)) normalised over the axis; s is (B, H, L, 1), the distances (L, axis length).
        private string Factor(Tensor distances, string sigma, string name)
        {
            var e = g.Node("Exp", [g.Div(g.Initializer(name, -distances), g.Mul(g.Mul(sigma, sigma), g.Scalar(2f)))]);
            return g.Div(e, g.ReduceSum(e, keepDims: true, -1));
        }

        private string Log(string x) => g.Node("Log", [g.Add(x, g.Scalar(LogEpsilon))]);

        // EdTokenScorer: rec = mean_c (X - out)^2 + 1 - cos(X, out), times the branch's token weights.
        private string TokenScores(string tokens, string reconstruction, IReadOnlyList<string> correlations)
        {
            var difference = g.Sub(tokens, reconstruction);
            var squared = g.ReduceMean(g.Mul(difference, difference), keepDims: false, -1);
            var rec = g.Sub(g.Add(squared, g.Scalar(1f)), Cosine(tokens, reconstruction));
            if (kind == AnomalyScoreKind.Reconstruction)
            {
                return rec;
            }

            var sum = correlations[0];
            for (var i = 1; i < correlations.Count; i++)
            {
                sum = g.Add(sum, correlations[i]);
            }

            var weights = g.Softmax(g.Node("Neg", [g.Div(sum, g.Scalar(correlations.Count))]), -1);
            if (kind == AnomalyScoreKind.ReconstructionTimesInter)
            {
                weights = g.Sub(g.ReduceMax(weights, keepDims: true, -1), weights);
            }

            return g.Mul(rec, weights);
        }

        // ATen's cosine_similarity: each vector divided by its norm clamped to eps, then the dot product.
        private string Cosine(string a, string b)
        {
            var eps = g.Scalar(CosineEpsilon);
            var unitA = g.Div(a, g.Node("Max", [g.Node("ReduceL2", [a], OnnxGraphBuilder.Ints("axes", -1), OnnxGraphBuilder.Int("keepdims", 1)), eps]));
            var unitB = g.Div(b, g.Node("Max", [g.Node("ReduceL2", [b], OnnxGraphBuilder.Ints("axes", -1), OnnxGraphBuilder.Int("keepdims", 1)), eps]));
            return g.ReduceSum(g.Mul(unitA, unitB), keepDims: false, -1);
        }

        private string Fusion(string prefix, string intra, string inter)
        {
            var joined = g.Node("Concat", [intra, inter], OnnxGraphBuilder.Int("axis", -1));
            return Linear(prefix + "2", g.Relu(Linear(prefix + "0", joined)));
        }

        private string PlainFeedForward(string prefix, string x) => Linear(prefix + "fc2", g.Gelu(Linear(prefix + "fc1", x)));

        // ConvolutionalFeedForward: fc1, depthwise 3x3 on the grid, GELU, plus scaling times the lower median over the
        // tokens (torch.median's ((L - 1) / 2 + 1)-th smallest, from TopK), fc2.
        private string ConvolutionalFeedForward(string prefix, string x)
        {
            var hidden = o.FeedForwardDimension;
            var grid = g.Reshape(g.Transpose(Linear(prefix + "fc1", x), 0, 2, 1), 0, hidden, o.GridHeight, o.GridWidth);
            var convolved = g.Conv(grid, p[prefix + "dwconv.dwconv.weight"], p[prefix + "dwconv.dwconv.bias"], prefix + "dwconv", padding: 1, groups: hidden);
            var z = g.Gelu(g.Transpose(g.Reshape(convolved, 0, hidden, -1), 0, 2, 1));
            var k = (o.TokenCount - 1) / 2 + 1;
            var smallest = g.Node("TopK", [z, g.Int64s(k)], 2, OnnxGraphBuilder.Int("axis", 1), OnnxGraphBuilder.Int("largest", 0), OnnxGraphBuilder.Int("sorted", 1))[0];
            var median = g.Slice(smallest, 1, k - 1, k);
            var shifted = g.Add(z, g.Mul(g.Initializer(prefix + "scaling", p[prefix + "scaling"]), median));
            return Linear(prefix + "fc2", shifted);
        }

        private string Linear(string name, string x) => g.Linear(x, p[name + ".weight"], p[name + ".bias"], name);

        // The cross attention's keys or values of the reference tokens, (1, heads, L, E), as Attention2D computes them.
        private Tensor ProjectReference(string name, Tensor reference) =>
            nn.functional.linear(reference, p[name + ".weight"], p[name + ".bias"])
                .view(reference.shape[0], reference.shape[1], o.Heads, -1).permute(0, 2, 1, 3).contiguous();
    }
}
