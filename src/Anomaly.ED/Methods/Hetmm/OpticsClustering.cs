namespace Anomaly.ED.Methods.Hetmm;

/// <summary>
/// OPTICS clustering of a small point set under the cosine distance 1 - s, with the xi cluster extraction, computing
/// the labels that scikit-learn 1.2's <c>OPTICS(min_samples=m, metric=lambda a, b: 1 - a.dot(b))</c> assigns
/// (defaults: max_eps = inf, cluster_method = 'xi', xi = 0.05, predecessor_correction = true,
/// min_cluster_size = min_samples).
/// </summary>
/// <remarks>
/// <para>
/// Reproduced step by step from <c>sklearn/cluster/_optics.py</c>: core distance = the m-th smallest distance of a point
/// (itself included), rounded to 15 decimals as numpy's <c>around</c> does; the ordering starts at point 0 and always
/// takes the unprocessed point of least reachability (lowest index on ties); reachability = round15(max(distance,
/// core distance of the processed point)), replaced only when strictly smaller; then the xi steep-area extraction with
/// predecessor correction and the labelling of the smallest non-overlapping clusters first. The only difference is the
/// summation order of the dot products that the caller supplies, which can move a distance by an ulp.
/// </para>
/// <para>
/// One instance holds the working buffers for point sets of up to <see cref="Capacity"/> points, so that repeated
/// calls allocate nothing. An instance is not thread-safe; use one per thread.
/// </para>
/// </remarks>
internal sealed class OpticsClustering
{
    private const double Xi = 0.05;
    private const double XiComplement = 1 - Xi;
    private const double RoundingScale = 1e15; // numpy rounds float64 to finfo(float64).precision = 15 decimals

    private readonly double[] core;
    private readonly double[] reachability;
    private readonly double[] plot;
    private readonly double[] row;
    private readonly int[] predecessor;
    private readonly int[] ordering;
    private readonly int[] unprocessed;
    private readonly int[] labelsByPosition;
    private readonly bool[] steepUpward;
    private readonly bool[] steepDownward;
    private readonly bool[] upward;
    private readonly bool[] downward;
    private readonly int[] areaStart;
    private readonly int[] areaEnd;
    private readonly double[] areaMib;
    private readonly List<(int Start, int End)> clusters = [];
    private readonly List<(int Start, int End)> upClusters = [];
    private int areaCount;

    /// <summary>Creates the buffers for point sets of up to <paramref name="capacity"/> points.</summary>
    /// <param name="capacity">The largest number of points one call may cluster.</param>
    public OpticsClustering(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
        core = new double[capacity];
        reachability = new double[capacity];
        plot = new double[capacity + 1];
        row = new double[capacity];
        predecessor = new int[capacity];
        ordering = new int[capacity];
        unprocessed = new int[capacity];
        labelsByPosition = new int[capacity];
        steepUpward = new bool[capacity];
        steepDownward = new bool[capacity];
        upward = new bool[capacity];
        downward = new bool[capacity];
        areaStart = new int[capacity];
        areaEnd = new int[capacity];
        areaMib = new double[capacity];
    }

    /// <summary>The largest number of points one call may cluster.</summary>
    public int Capacity { get; }

    /// <summary>Clusters <paramref name="count"/> points given their pairwise cosine similarities.</summary>
    /// <param name="similarity">Row-major count x count similarities s (distance = 1 - s), including the diagonal.</param>
    /// <param name="count">The number of points, 1 to <see cref="Capacity"/>.</param>
    /// <param name="minSamples">OPTICS min_samples (also the smallest cluster size), 2 to <paramref name="count"/>.</param>
    /// <param name="labels">Receives each point's cluster label (0, 1, ...) or -1 for noise; length at least count.</param>
    /// <returns>The number of clusters.</returns>
    public int Cluster(ReadOnlySpan<double> similarity, int count, int minSamples, Span<int> labels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Capacity);
        ArgumentOutOfRangeException.ThrowIfLessThan(minSamples, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minSamples, count);
        ArgumentOutOfRangeException.ThrowIfLessThan(similarity.Length, count * count, nameof(similarity));
        ArgumentOutOfRangeException.ThrowIfLessThan(labels.Length, count, nameof(labels));

        ComputeCoreDistances(similarity, count, minSamples);
        ComputeOrdering(similarity, count);
        ExtractXiClusters(count, minSamples);
        return AssignLabels(count, labels);
    }

    /// <summary>numpy's <c>around(x, 15)</c>: multiply, round half to even, divide.</summary>
    private static double Round15(double value) => Math.Round(value * RoundingScale, MidpointRounding.ToEven) / RoundingScale;

    private void ComputeCoreDistances(ReadOnlySpan<double> similarity, int n, int minSamples)
    {
        var distances = row.AsSpan(0, n);
        for (var i = 0; i < n; i++)
        {
            var source = similarity.Slice(i * n, n);
            for (var j = 0; j < n; j++)
            {
                distances[j] = 1.0 - source[j];
            }

            core[i] = Round15(SelectSmallest(distances, minSamples - 1));
        }
    }

    /// <summary>The value of rank <paramref name="rank"/> (0-based) in ascending order; reorders <paramref name="values"/>.</summary>
    private static double SelectSmallest(Span<double> values, int rank)
    {
        var lo = 0;
        var hi = values.Length - 1;
        while (lo < hi)
        {
            var pivot = values[lo + ((hi - lo) >> 1)];
            var i = lo;
            var j = hi;
            while (i <= j)
            {
                while (values[i] < pivot)
                {
                    i++;
                }

                while (values[j] > pivot)
                {
                    j--;
                }

                if (i <= j)
                {
                    (values[i], values[j]) = (values[j], values[i]);
                    i++;
                    j--;
                }
            }

            if (rank <= j)
            {
                hi = j;
            }
            else if (rank >= i)
            {
                lo = i;
            }
            else
            {
                return values[rank];
            }
        }

        return values[rank];
    }

    private void ComputeOrdering(ReadOnlySpan<double> similarity, int n)
    {
        for (var i = 0; i < n; i++)
        {
            reachability[i] = double.PositiveInfinity;
            predecessor[i] = -1;
            unprocessed[i] = i;
        }

        // Unprocessed points stay in ascending index order, so the first strict minimum is numpy's argmin.
        var remaining = n;
        var next = 0;
        for (var position = 0; position < n; position++)
        {
            var point = unprocessed[next];
            Array.Copy(unprocessed, next + 1, unprocessed, next, remaining - next - 1);
            remaining--;
            ordering[position] = point;

            var pointCore = core[point];
            var source = similarity.Slice(point * n, n);
            var best = double.PositiveInfinity;
            next = 0;
            for (var k = 0; k < remaining; k++)
            {
                var j = unprocessed[k];
                var reach = Round15(Math.Max(1.0 - source[j], pointCore));
                if (reach < reachability[j])
                {
                    reachability[j] = reach;
                    predecessor[j] = point;
                }

                if (reachability[j] < best)
                {
                    best = reachability[j];
                    next = k;
                }
            }
        }
    }

    private void ExtractXiClusters(int n, int minSamples)
    {
        for (var i = 0; i < n; i++)
        {
            plot[i] = reachability[ordering[i]];
        }

        plot[n] = double.PositiveInfinity;
        const double steepDownRatio = 1 / XiComplement;
        for (var i = 0; i < n; i++)
        {
            var ratio = plot[i] / plot[i + 1]; // NaN (inf/inf, 0/0) compares false everywhere, as in numpy
            steepUpward[i] = ratio <= XiComplement;
            steepDownward[i] = ratio >= steepDownRatio;
            downward[i] = ratio > 1;
            upward[i] = ratio < 1;
        }

        clusters.Clear();
        areaCount = 0;
        var index = 0;
        var mib = 0.0; // maximum in between
        for (var steepIndex = 0; steepIndex < n; steepIndex++)
        {
            if ((!steepUpward[steepIndex] && !steepDownward[steepIndex]) || steepIndex < index)
            {
                continue;
            }

            for (var i = index; i <= steepIndex; i++)
            {
                mib = Math.Max(mib, plot[i]);
            }

            FilterDownAreas(mib);
            if (steepDownward[steepIndex])
            {
                var end = ExtendRegion(steepDownward, upward, steepIndex, minSamples, n);
                areaStart[areaCount] = steepIndex;
                areaEnd[areaCount] = end;
                areaMib[areaCount] = 0.0;
                areaCount++;
                index = end + 1;
                mib = plot[index];
            }
            else
            {
                var upStart = steepIndex;
                var upEnd = ExtendRegion(steepUpward, downward, upStart, minSamples, n);
                index = upEnd + 1;
                mib = plot[index];
                CollectClusters(upStart, upEnd, minSamples, n);
            }
        }
    }

    private void CollectClusters(int upStart, int upEnd, int minClusterSize, int n)
    {
        upClusters.Clear();
        for (var a = 0; a < areaCount; a++)
        {
            var start = areaStart[a];
            var end = upEnd;
            if (plot[end + 1] * XiComplement < areaMib[a])
            {
                continue;
            }

            var downMax = plot[areaStart[a]];
            if (downMax * XiComplement >= plot[end + 1])
            {
                while (plot[start + 1] > plot[end + 1] && start < areaEnd[a])
                {
                    start++;
                }
            }
            else if (plot[end + 1] * XiComplement >= downMax)
            {
                // Python reads plot[-1], the appended inf, when end is 0.
                while ((end > 0 ? plot[end - 1] : plot[n]) > downMax && end > upStart)
                {
                    end--;
                }
            }

            if (!CorrectPredecessor(ref start, ref end, n)
                || end - start + 1 < minClusterSize
                || start > areaEnd[a]
                || end < upStart)
            {
                continue;
            }

            upClusters.Add((start, end));
        }

        for (var i = upClusters.Count - 1; i >= 0; i--)
        {
            clusters.Add(upClusters[i]);
        }
    }

    /// <summary>Keeps the steep-down areas whose start is at least mib / (1 - xi) and raises their mib.</summary>
    private void FilterDownAreas(double mib)
    {
        if (double.IsInfinity(mib))
        {
            areaCount = 0;
            return;
        }

        var kept = 0;
        for (var a = 0; a < areaCount; a++)
        {
            if (mib <= plot[areaStart[a]] * XiComplement)
            {
                areaStart[kept] = areaStart[a];
                areaEnd[kept] = areaEnd[a];
                areaMib[kept] = Math.Max(areaMib[a], mib);
                kept++;
            }
        }

        areaCount = kept;
    }

    private static int ExtendRegion(bool[] steep, bool[] opposite, int start, int minSamples, int n)
    {
        var nonSteep = 0;
        var end = start;
        for (var index = start; index < n; index++)
        {
            if (steep[index])
            {
                nonSteep = 0;
                end = index;
            }
            else if (!opposite[index])
            {
                nonSteep++;
                if (nonSteep > minSamples)
                {
                    break;
                }
            }
            else
            {
                return end;
            }
        }

        return end;
    }

    /// <summary>
    /// Algorithm 2 of Schubert and Gertz (2018) as scikit-learn writes it: shrink the end until the start is higher or
    /// the end's predecessor lies in [start, end). scikit-learn compares <c>ordering[predecessor]</c> with
    /// <c>ordering[i]</c>, so the predecessor's sample index is read as a position, with Python's wrap for -1.
    /// </summary>
    private bool CorrectPredecessor(ref int start, ref int end, int n)
    {
        while (start < end)
        {
            if (plot[start] > plot[end])
            {
                return true;
            }

            var p = predecessor[ordering[end]];
            var position = p < 0 ? p + n : p;
            if (position >= start && position < end)
            {
                return true;
            }

            end--;
        }

        return false;
    }

    private int AssignLabels(int n, Span<int> labels)
    {
        var byPosition = labelsByPosition.AsSpan(0, n);
        byPosition.Fill(-1);
        var label = 0;
        foreach (var (start, end) in clusters)
        {
            var span = byPosition[start..(end + 1)];
            if (span.IndexOfAnyExcept(-1) < 0)
            {
                span.Fill(label);
                label++;
            }
        }

        for (var position = 0; position < n; position++)
        {
            labels[ordering[position]] = byPosition[position];
        }

        return label;
    }
}
