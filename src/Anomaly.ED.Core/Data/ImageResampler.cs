namespace Anomaly.ED.Data;

/// <summary>
/// Resizes 8-bit images exactly as Pillow 9 does (see docs/parity-preprocessing.md): a separable
/// two-pass resampler, horizontal first into an 8-bit clipped intermediate, with 22-bit fixed-point
/// weights; NEAREST uses Pillow's accumulated source positions.
/// </summary>
internal static class ImageResampler
{
    private const int PrecisionBits = 22;

    /// <summary>Resizes <paramref name="source"/> to <paramref name="width"/> x <paramref name="height"/>; each channel independently.</summary>
    /// <param name="source">The image (any channel count).</param>
    /// <param name="width">Output width (at least 1).</param>
    /// <param name="height">Output height (at least 1).</param>
    /// <param name="filter">The resampling filter.</param>
    /// <returns>A new image; a copy when the size is unchanged.</returns>
    public static ImageBuffer Resize(ImageBuffer source, int width, int height, ResampleFilter filter)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (width == source.Width && height == source.Height)
        {
            return new ImageBuffer(width, height, source.Channels, (byte[])source.Pixels.Clone());
        }

        return filter switch
        {
            ResampleFilter.Nearest => ResizeNearest(source, width, height),
            ResampleFilter.Bilinear or ResampleFilter.Lanczos => ResizeSeparable(source, width, height, filter),
            _ => throw new ArgumentOutOfRangeException(nameof(filter), filter, "Unknown resampling filter."),
        };
    }

    private static ImageBuffer ResizeNearest(ImageBuffer source, int width, int height)
    {
        var xIndex = NearestIndices(source.Width, width);
        var yIndex = NearestIndices(source.Height, height);
        var channels = source.Channels;
        var output = new ImageBuffer(width, height, channels);
        var src = source.Pixels;
        var dst = output.Pixels;
        for (var y = 0; y < height; y++)
        {
            var srcRow = yIndex[y] * source.Width;
            var dstRow = y * width;
            for (var x = 0; x < width; x++)
            {
                var s = (srcRow + xIndex[x]) * channels;
                var d = (dstRow + x) * channels;
                for (var c = 0; c < channels; c++)
                {
                    dst[d + c] = src[s + c];
                }
            }
        }

        return output;
    }

    private static int[] NearestIndices(int inSize, int outSize)
    {
        // Pillow accumulates the position (pos += scale) rather than computing (x + 0.5) * scale;
        // the two differ in the last bit often enough to pick other source pixels.
        var scale = (double)inSize / outSize;
        var pos = scale * 0.5;
        var indices = new int[outSize];
        for (var x = 0; x < outSize; x++)
        {
            indices[x] = Math.Min(pos < 0.0 ? 0 : (int)pos, inSize - 1);
            pos += scale;
        }

        return indices;
    }

    private static ImageBuffer ResizeSeparable(ImageBuffer source, int width, int height, ResampleFilter filter)
    {
        var intermediate = source;
        if (width != source.Width)
        {
            intermediate = HorizontalPass(source, width, Coefficients.Compute(source.Width, width, filter));
        }

        if (height != source.Height)
        {
            return VerticalPass(intermediate, height, Coefficients.Compute(source.Height, height, filter));
        }

        return intermediate;
    }

    private static unsafe ImageBuffer HorizontalPass(ImageBuffer source, int width, Coefficients k)
    {
        var channels = source.Channels;
        var output = new ImageBuffer(width, source.Height, channels);
        const int Half = 1 << (PrecisionBits - 1);
        fixed (byte* srcBase = source.Pixels)
        fixed (byte* dstBase = output.Pixels)
        fixed (int* weightBase = k.Weights)
        {
            for (var y = 0; y < source.Height; y++)
            {
                var srcRow = srcBase + ((long)y * source.Width * channels);
                var dst = dstBase + ((long)y * width * channels);
                for (var x = 0; x < width; x++)
                {
                    var w = weightBase + (x * k.Stride);
                    var count = k.Count[x];
                    var s = srcRow + (k.Start[x] * channels);

                    // All channels of a pixel in one pass over the taps, as Pillow does; each channel's sum is independent.
                    if (channels == 3)
                    {
                        int a0 = Half, a1 = Half, a2 = Half;
                        for (var j = 0; j < count; j++, s += 3)
                        {
                            var wj = w[j];
                            a0 += s[0] * wj;
                            a1 += s[1] * wj;
                            a2 += s[2] * wj;
                        }

                        dst[0] = Clip8(a0);
                        dst[1] = Clip8(a1);
                        dst[2] = Clip8(a2);
                        dst += 3;
                    }
                    else
                    {
                        for (var c = 0; c < channels; c++)
                        {
                            var acc = Half;
                            var p = s + c;
                            for (var j = 0; j < count; j++, p += channels)
                            {
                                acc += *p * w[j];
                            }

                            *dst++ = Clip8(acc);
                        }
                    }
                }
            }
        }

        return output;
    }

    private static ImageBuffer VerticalPass(ImageBuffer source, int height, Coefficients k)
    {
        var rowLength = source.Width * source.Channels;
        var output = new ImageBuffer(source.Width, height, source.Channels);
        var src = source.Pixels;
        var dst = output.Pixels;
        var acc = new int[rowLength];
        for (var y = 0; y < height; y++)
        {
            // Whole source rows, tap by tap: sequential memory access; per element the taps are still summed in order.
            Array.Fill(acc, 1 << (PrecisionBits - 1));
            var start = k.Start[y];
            var weights = k.Weights.AsSpan(y * k.Stride, k.Count[y]);
            for (var j = 0; j < weights.Length; j++)
            {
                var wj = weights[j];
                var row = src.AsSpan((start + j) * rowLength, rowLength);
                for (var i = 0; i < row.Length; i++)
                {
                    acc[i] += row[i] * wj;
                }
            }

            var target = dst.AsSpan(y * rowLength, rowLength);
            for (var i = 0; i < target.Length; i++)
            {
                target[i] = Clip8(acc[i]);
            }
        }

        return output;
    }

    private static byte Clip8(int acc)
    {
        var value = acc >> PrecisionBits;
        return value <= 0 ? (byte)0 : value >= 255 ? (byte)255 : (byte)value;
    }

    /// <summary>Pillow's per-output-pixel tap ranges and 22-bit fixed-point weights for one axis.</summary>
    private sealed class Coefficients
    {
        private Coefficients(int[] start, int[] count, int[] weights, int stride)
        {
            Start = start;
            Count = count;
            Weights = weights;
            Stride = stride;
        }

        public int[] Start { get; }

        public int[] Count { get; }

        public int[] Weights { get; }

        public int Stride { get; }

        public static Coefficients Compute(int inSize, int outSize, ResampleFilter filter)
        {
            var filterSupport = filter == ResampleFilter.Lanczos ? 3.0 : 1.0;
            var scale = (double)inSize / outSize;
            var filterScale = Math.Max(scale, 1.0);
            var support = filterSupport * filterScale;
            var stride = ((int)Math.Ceiling(support) * 2) + 1;
            var inverse = 1.0 / filterScale;
            var start = new int[outSize];
            var count = new int[outSize];
            var weights = new int[outSize * stride];
            var w = new double[stride];
            for (var x = 0; x < outSize; x++)
            {
                var center = (x + 0.5) * scale;
                var xmin = Math.Max((int)(center - support + 0.5), 0);
                var xmax = Math.Min((int)(center + support + 0.5), inSize) - xmin;
                var total = 0.0;
                for (var j = 0; j < xmax; j++)
                {
                    var value = Kernel(filter, (j + xmin - center + 0.5) * inverse);
                    w[j] = value;
                    total += value;
                }

                for (var j = 0; j < xmax; j++)
                {
                    var normalised = total != 0.0 ? w[j] / total : w[j];
                    weights[(x * stride) + j] = normalised < 0
                        ? (int)(-0.5 + (normalised * (1 << PrecisionBits)))
                        : (int)(0.5 + (normalised * (1 << PrecisionBits)));
                }

                start[x] = xmin;
                count[x] = xmax;
            }

            return new Coefficients(start, count, weights, stride);
        }

        private static double Kernel(ResampleFilter filter, double t)
        {
            if (filter == ResampleFilter.Bilinear)
            {
                t = Math.Abs(t);
                return t < 1.0 ? 1.0 - t : 0.0;
            }

            return t >= -3.0 && t < 3.0 ? Sinc(t) * Sinc(t / 3) : 0.0;
        }

        private static double Sinc(double t)
        {
            if (t == 0.0)
            {
                return 1.0;
            }

            t *= Math.PI;
            return Math.Sin(t) / t;
        }
    }
}
