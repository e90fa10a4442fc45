using System.Collections.Concurrent;
using static TorchSharp.torch;

namespace Anomaly.ED.Methods.Hetmm;

/// <summary>
/// HETMM's pixel-level template selection (PTS): from N templates, keeps per pixel position a tiny set of K
/// template vectors, the medoids of the position's OPTICS clusters followed by hard normal examples.
/// </summary>
/// <remarks>
/// <para>
/// Per position p, on the N vectors x_i = templates[i, :, p] (L2-normalised, so cosine similarity = dot product):
/// </para>
/// <list type="number">
/// <item>OPTICS with the distance 1 - x_i·x_j, min_samples = N / sheets (integer division; see
/// <see cref="MinSamples"/>) and scikit-learn's default xi extraction (<see cref="OpticsClustering"/>), as the
/// reference's <c>get_pixel_level_optics_clusters</c> runs it.</item>
/// <item>Clusters in order of their first member (lowest template index): each cluster's medoid, the member with the
/// largest summed similarity to the cluster's members (itself included); at most K.</item>
/// <item>If no cluster was found: the global medoid, the template with the largest summed similarity to all.</item>
/// <item>Until K are chosen: the unchosen template whose summed similarity to the chosen ones is smallest (the hard
/// normal).</item>
/// </list>
/// <para>
/// Ties: a candidate replaces the best so far only when better by more than <see cref="TieTolerancePerTerm"/> per
/// summed similarity, so near-ties go to the lowest index.
/// </para>
/// <para>
/// Steps 2 to 4 follow the reference CUDA kernel <c>PTS_cuda</c> (easy_normal_prototype_init, global_center_init,
/// hard_normal_prototype_selection). Deliberate differences: sums are accumulated in float64 rather than the
/// kernel's float32, and near-ties go to the lowest index where the kernel lets float32 rounding decide them;
/// K = min(sheets, N), where the reference pads with all-zero sheets when sheets exceeds N; N = 1 returns the single
/// template, where the reference's OPTICS call fails. With scikit-learn's xi extraction the whole ordering
/// always forms a cluster when nothing smaller does, so step 3 never runs on the reference's path; it is kept as the
/// kernel has it. Details: docs/hetmm-pts.md.
/// </para>
/// <para>
/// Speed: each block of positions gets its N x N similarities from one float64 batched matrix product; the
/// positions of a block are then clustered in parallel in managed code with per-thread buffers. The result does not
/// depend on the number of threads.
/// </para>
/// </remarks>
internal static class PatchTemplateSelection
{
    /// <summary>Elements (float64) of the per-block similarity and feature copies; bounds the block's memory.</summary>
    private const long BlockElementBudget = 1L << 22;

    /// <summary>
    /// Per summed similarity, how much better a candidate must be to replace the best one so far. Float32 features
    /// carry normalisation noise of order 1e-7, which decides near-ties (the two members of a pair) in the reference's
    /// float32 sums; within this margin the lowest index wins instead, whatever the arithmetic.
    /// </summary>
    internal const double TieTolerancePerTerm = 1e-6;

    /// <summary>Selects K = min(<paramref name="sheets"/>, N) template vectors per pixel position.</summary>
    /// <param name="templates">(N, C, H, W) float32 template features of one level, L2-normalised per pixel over C; any device.</param>
    /// <param name="sheets">The number of templates to keep per position (the reference's tsize), at least 1.</param>
    /// <param name="progress">Receives the number of pixel positions done, after each block of positions.</param>
    /// <param name="cancellationToken">Checked between blocks and between positions.</param>
    /// <returns>(K, C, H, W) float32 on the input's device: sheet k holds, at each position, the k-th template chosen there.</returns>
    /// <exception cref="ArgumentException">The templates are not a 4-D float32 tensor with at least one template.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sheets"/> is less than 1.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static Tensor Select(Tensor templates, int sheets, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(templates);
        if (templates.dim() != 4)
        {
            throw new ArgumentException(
                $"PTS templates must be 4-D (N, C, H, W); got shape [{string.Join(", ", templates.shape)}].", nameof(templates));
        }

        if (templates.dtype != ScalarType.Float32)
        {
            throw new ArgumentException($"PTS templates must be float32; got {templates.dtype}.", nameof(templates));
        }

        if (sheets < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(sheets), sheets, "PTS needs at least one sheet (template per position).");
        }

        var (n64, channels, height, width) = (templates.shape[0], templates.shape[1], templates.shape[2], templates.shape[3]);
        if (n64 < 1)
        {
            throw new ArgumentException("PTS needs at least one template (N >= 1); the template tensor is empty.", nameof(templates));
        }

        if (n64 > 46_340)
        {
            throw new ArgumentException($"PTS supports up to 46340 templates (an N x N matrix per position); got {n64}.", nameof(templates));
        }

        var n = (int)n64;
        var positions = checked((int)(height * width));
        var kept = Math.Min(sheets, n);
        var minSamples = MinSamples(n, sheets);
        var selected = new int[positions * kept];

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var flat = templates.detach().reshape(n, channels, positions);
        var flatCpu = flat.cpu();
        var block = (int)Math.Clamp(BlockElementBudget / (n64 * Math.Max(n64, channels)), 1, Math.Max(positions, 1));
        var similarities = new double[(long)block * n * n];
        var workspaces = new ConcurrentBag<Workspace>();
        var options = new ParallelOptions { CancellationToken = cancellationToken };
        for (var start = 0; start < positions; start += block)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = Math.Min(block, positions - start);
            using (var blockScope = NewDisposeScope())
            {
                var features = flatCpu.narrow(2, start, count).permute(2, 0, 1).to(ScalarType.Float64).contiguous();
                bmm(features, features.transpose(1, 2)).data<double>().CopyTo(similarities);
                SelectBlock(similarities, count, n, minSamples, kept, start, selected, workspaces, options);
            }

            progress?.Report(start + count);
        }

        var index = tensor(selected, new long[] { positions, kept }, ScalarType.Int32).t().to(ScalarType.Int64).to(flat.device);
        var chosen = flat.gather(0, index.unsqueeze(1).expand(kept, channels, positions));
        return chosen.reshape(kept, channels, height, width).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The effective OPTICS min_samples for N templates and K sheets: N / K (integer division) as the reference passes
    /// it, read as scikit-learn 1.2 reads it: 1 as the fraction 1.0 (so N), 0 as the fraction 0 (so 2), and at most N.
    /// </summary>
    /// <param name="templateCount">N, at least 2.</param>
    /// <param name="sheets">K, at least 1.</param>
    internal static int MinSamples(int templateCount, int sheets) => (templateCount / sheets) switch
    {
        0 => 2,
        1 => templateCount,
        var m => m,
    };

    private static void SelectBlock(
        double[] similarities, int count, int n, int minSamples, int kept, int start, int[] selected,
        ConcurrentBag<Workspace> workspaces, ParallelOptions options)
    {
        Parallel.For(
            0,
            count,
            options,
            () => workspaces.TryTake(out var w) ? w : new Workspace(n),
            (b, _, workspace) =>
            {
                var matrix = similarities.AsSpan(b * n * n, n * n);
                SelectAtPosition(matrix, n, minSamples, workspace, selected.AsSpan((start + b) * kept, kept));
                return workspace;
            },
            workspaces.Add);
    }

    /// <summary>Clusters one position's templates and picks its templates into <paramref name="selected"/> (length K).</summary>
    internal static void SelectAtPosition(ReadOnlySpan<double> similarity, int n, int minSamples, Workspace workspace, Span<int> selected)
    {
        var labels = workspace.Labels.AsSpan(0, n);
        if (n == 1)
        {
            labels[0] = -1;
        }
        else
        {
            workspace.Optics.Cluster(similarity, n, minSamples, labels);
        }

        PickTemplates(similarity, n, labels, workspace, selected);
    }

    /// <summary>
    /// Steps 2 to 4 of PTS for one position: cluster medoids, else the global medoid, then hard normals, until
    /// <paramref name="selected"/> (length K &lt;= n) is full.
    /// </summary>
    /// <param name="similarity">Row-major n x n cosine similarities.</param>
    /// <param name="n">The number of templates.</param>
    /// <param name="labels">Cluster label per template (0, 1, ... in any order; -1 for noise).</param>
    /// <param name="workspace">Buffers for at least n templates.</param>
    /// <param name="selected">Receives the chosen template indices in the order chosen.</param>
    internal static void PickTemplates(ReadOnlySpan<double> similarity, int n, ReadOnlySpan<int> labels, Workspace workspace, Span<int> selected)
    {
        var taken = workspace.Taken.AsSpan(0, n);
        taken.Clear();
        var count = PickClusterMedoids(similarity, n, labels, workspace, selected);
        if (count == 0)
        {
            selected[count++] = Medoid(similarity, n, workspace.AllTemplates.AsSpan(0, n));
        }

        for (var i = 0; i < count; i++)
        {
            taken[selected[i]] = true;
        }

        // Hard normals: dp[i] is template i's summed similarity to the chosen ones, grown by one column per choice.
        var dp = workspace.SummedSimilarity.AsSpan(0, n);
        dp.Clear();
        var added = 0;
        for (; count < selected.Length; count++)
        {
            var tolerance = TieTolerancePerTerm * count;
            var best = double.PositiveInfinity;
            var choice = -1;
            for (var i = 0; i < n; i++)
            {
                if (taken[i])
                {
                    continue;
                }

                var row = similarity.Slice(i * n, n);
                for (var j = added; j < count; j++)
                {
                    dp[i] += row[selected[j]];
                }

                if (choice < 0 || dp[i] < best - tolerance)
                {
                    best = dp[i];
                    choice = i;
                }
            }

            if (choice < 0)
            {
                break;
            }

            added = count;
            selected[count] = choice;
            taken[choice] = true;
        }
    }

    /// <summary>Appends each cluster's medoid, clusters taken in order of their lowest-index member; returns how many.</summary>
    private static int PickClusterMedoids(ReadOnlySpan<double> similarity, int n, ReadOnlySpan<int> labels, Workspace workspace, Span<int> selected)
    {
        // Group members by label (counting sort; members stay in ascending index order within a label).
        var clusterStart = workspace.ClusterStart.AsSpan(0, n + 1);
        clusterStart.Clear();
        var clusterCount = 0;
        for (var i = 0; i < n; i++)
        {
            var label = labels[i];
            if (label < -1 || label >= n)
            {
                throw new ArgumentOutOfRangeException(nameof(labels), label, $"Cluster label of template {i} must lie in [-1, {n - 1}].");
            }

            if (label >= 0)
            {
                clusterStart[label + 1]++;
                clusterCount = Math.Max(clusterCount, label + 1);
            }
        }

        for (var c = 0; c < clusterCount; c++)
        {
            clusterStart[c + 1] += clusterStart[c];
        }

        var members = workspace.Members.AsSpan(0, n);
        var fill = workspace.ClusterFill.AsSpan(0, n);
        clusterStart[..clusterCount].CopyTo(fill);
        var order = workspace.ClusterOrder.AsSpan(0, n);
        var ordered = 0;
        for (var i = 0; i < n; i++)
        {
            var label = labels[i];
            if (label < 0)
            {
                continue;
            }

            if (fill[label] == clusterStart[label])
            {
                order[ordered++] = label;
            }

            members[fill[label]++] = i;
        }

        var count = 0;
        for (var c = 0; c < ordered && count < selected.Length; c++)
        {
            var label = order[c];
            selected[count++] = Medoid(similarity, n, members[clusterStart[label]..clusterStart[label + 1]]);
        }

        return count;
    }

    /// <summary>The member with the largest summed similarity to all members; the first such member on (near-)ties.</summary>
    private static int Medoid(ReadOnlySpan<double> similarity, int n, ReadOnlySpan<int> members)
    {
        var tolerance = TieTolerancePerTerm * members.Length;
        var best = double.NegativeInfinity;
        var choice = -1;
        foreach (var j in members)
        {
            var row = similarity.Slice(j * n, n);
            var sum = 0.0;
            foreach (var k in members)
            {
                sum += row[k];
            }

            if (choice < 0 || sum > best + tolerance)
            {
                best = sum;
                choice = j;
            }
        }

        return choice;
    }

    /// <summary>Per-thread buffers for one position's clustering and selection; reused across positions.</summary>
    internal sealed class Workspace
    {
        /// <summary>Creates buffers for up to <paramref name="capacity"/> templates.</summary>
        public Workspace(int capacity)
        {
            Optics = new OpticsClustering(capacity);
            Labels = new int[capacity];
            Taken = new bool[capacity];
            SummedSimilarity = new double[capacity];
            ClusterStart = new int[capacity + 1];
            ClusterFill = new int[capacity];
            ClusterOrder = new int[capacity];
            Members = new int[capacity];
            AllTemplates = Enumerable.Range(0, capacity).ToArray();
        }

        public OpticsClustering Optics { get; }

        public int[] Labels { get; }

        public bool[] Taken { get; }

        public double[] SummedSimilarity { get; }

        public int[] ClusterStart { get; }

        public int[] ClusterFill { get; }

        public int[] ClusterOrder { get; }

        public int[] Members { get; }

        public int[] AllTemplates { get; }
    }
}
