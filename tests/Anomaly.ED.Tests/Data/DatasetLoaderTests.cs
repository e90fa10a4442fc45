using Anomaly.ED.Data;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Data;

public sealed class DatasetLoaderTests
{
    private static readonly ImageTransform Identity = new(ImageTransformOptions.EdSquare(DatasetLayouts.Size));

    [Fact]
    public async Task MvtecTestBatchesHaveImagesMasksLabelsAndPathsInOrder()
    {
        using var dir = new TempDirectory();
        DatasetLayouts.WriteMvtecAd(dir);
        var dataset = MvtecAdDataset.Open(dir.Path, "bottle", DatasetSplit.Test);
        var loader = new DatasetLoader(Identity, new DatasetLoaderOptions { BatchSize = 3, MaxDegreeOfParallelism = 2 });

        var batches = new List<DatasetBatch>();
        await foreach (var batch in loader.ReadBatchesAsync(dataset))
        {
            batches.Add(batch);
        }

        try
        {
            batches.Select(b => b.Count).Should().Equal(3, 1);
            batches[0].Images.shape.Should().Equal(3, 3, 32, 32);
            batches[0].Masks.shape.Should().Equal(3, 1, 32, 32);
            batches[0].Labels.data<long>().ToArray().Should().Equal(1L, 1L, 1L);
            batches[1].Labels.data<long>().ToArray().Should().Equal(0L);
            batches.SelectMany(b => b.Paths).Should().Equal(dataset.Items.Select(i => i.ImagePath));

            // broken_large/000: rows 0-3, columns 0-7; broken_large/001: a 5x5 square; good: all zero.
            batches[0].Masks[0].sum().item<float>().Should().Be(32f);
            batches[0].Masks[0, 0, 3, 7].item<float>().Should().Be(1f);
            batches[0].Masks[0, 0, 4, 7].item<float>().Should().Be(0f);
            batches[0].Masks[1].sum().item<float>().Should().Be(25f);
            batches[1].Masks.sum().item<float>().Should().Be(0f);

            // Image 0 is broken_large/000.png, filled with colour seed 7: (7*40 + c*70) % 256, normalised.
            var expectedRed = ((((7 * 40) % 256) / 255f) - 0.485f) / 0.229f;
            batches[0].Images[0, 0, 5, 5].item<float>().Should().Be(expectedRed);
        }
        finally
        {
            batches.ForEach(b => b.Dispose());
        }
    }

    [Fact]
    public void GrayscaleImagesAreReplicatedAcrossChannels()
    {
        using var dir = new TempDirectory();
        DatasetLayouts.WriteMvtecAd(dir);
        var dataset = MvtecAdDataset.Open(dir.Path, "zipper", DatasetSplit.Test);
        var loader = new DatasetLoader(new ImageTransform(new ImageTransformOptions { ResizeHeight = 32, ResizeWidth = 32, Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f] }));
        using var batch = loader.ReadBatches(dataset.Items).Single();
        using var scope = NewDisposeScope();
        var image = batch.Images[0];
        image.amin().item<float>().Should().Be(40 / 255f);
        image.amax().item<float>().Should().Be(40 / 255f);
        batch.Masks.sum().item<float>().Should().Be(64f);
    }

    [Fact]
    public void BtadShortSidePipelineAndPalettisedBmpMasks()
    {
        using var dir = new TempDirectory();
        DatasetLayouts.WriteBtad(dir);
        var dataset = BtadDataset.Open(dir.Path, "03", DatasetSplit.Test);
        var loader = new DatasetLoader(new ImageTransform(ImageTransformOptions.EdShortSide(resize: 32, crop: 32)));
        using var batch = loader.ReadBatches(dataset.Items).Single();
        batch.Labels.data<long>().ToArray().Should().Equal(1L, 0L);
        batch.Masks[0].sum().item<float>().Should().Be(56f, "the 7x8 rectangle of the 8-bit BMP mask");
        batch.Masks[0, 0, 5, 6].item<float>().Should().Be(1f);
        batch.Masks[1].sum().item<float>().Should().Be(0f);
    }

    [Fact]
    public void Mvtec3dMasksTreatAnyNonZeroValueAsDefect()
    {
        using var dir = new TempDirectory();
        DatasetLayouts.WriteMvtec3d(dir);
        var dataset = Mvtec3dRgbDataset.Open(dir.Path, "bagel", DatasetSplit.Test);
        using var batch = new DatasetLoader(Identity).ReadBatches(dataset.Items).Single();
        batch.Masks[0].sum().item<float>().Should().Be(16f, "the 4x4 square has value 1, not 255");
        batch.Masks.max().item<float>().Should().Be(1f);
    }

    [Fact]
    public void ParallelDecodingKeepsItemOrder()
    {
        using var dir = new TempDirectory();
        var items = Enumerable.Range(0, 23)
            .Select(i => new DatasetItem(dir.Write($"img{i:D2}.png", ImageEncoder.EncodePng(TestImageFiles.Gray(DatasetLayouts.Size, DatasetLayouts.Size, (_, _) => i * 10))), AnomalyLabel.Normal, "good", null))
            .ToArray();
        var transform = new ImageTransform(new ImageTransformOptions { ResizeHeight = 8, ResizeWidth = 8, Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f] });
        var loader = new DatasetLoader(transform, new DatasetLoaderOptions { BatchSize = 4, MaxDegreeOfParallelism = 4, PrefetchCount = 6 });

        var values = new List<float>();
        foreach (var batch in loader.ReadBatches(items))
        {
            using (batch)
            {
                using var scope = NewDisposeScope();
                values.AddRange(batch.Images.flatten(1).select(1, 0).data<float>().ToArray());
            }
        }

        values.Should().Equal(Enumerable.Range(0, 23).Select(i => i * 10 / 255f));
    }

    [Fact]
    public void BadFilesAreSkippedCountedAndLoggedWhenAsked()
    {
        using var dir = new TempDirectory();
        var good0 = dir.Write("0.png", DatasetLayouts.ColourPng(0));
        var empty = dir.Write("1.png", []);
        var text = dir.Write("2.png", "hello"u8.ToArray());
        var good3 = dir.Write("3.png", DatasetLayouts.ColourPng(3));
        var image4 = dir.Write("4.png", DatasetLayouts.ColourPng(4));
        var wrongMask = dir.Write("4_mask.png", DatasetLayouts.MaskPng(0, 0, 2, 2, width: 16, height: 16));
        DatasetItem[] items =
        [
            new(good0, AnomalyLabel.Normal, "good", null),
            new(empty, AnomalyLabel.Normal, "good", null),
            new(text, AnomalyLabel.Normal, "good", null),
            new(good3, AnomalyLabel.Normal, "good", null),
            new(image4, AnomalyLabel.Defective, "x", wrongMask),
        ];
        var logger = new ListLogger();
        var loader = new DatasetLoader(Identity, new DatasetLoaderOptions { BatchSize = 8, BadFiles = BadFilePolicy.Skip }, logger);

        using var batch = loader.ReadBatches(items).Single();
        batch.Paths.Should().Equal(good0, good3);
        loader.SkippedCount.Should().Be(3);
        loader.SkippedFiles.Select(s => s.Path).Should().BeEquivalentTo([empty, text, wrongMask]);
        logger.Entries.Where(e => e.EventId.Id == 5001).Should().HaveCount(3);
        logger.Entries.Should().Contain(e => e.Message.Contains(wrongMask) && e.Message.Contains("16x16"));
    }

    [Fact]
    public void CorruptImageThrowsNamingTheFile()
    {
        using var dir = new TempDirectory();
        var png = DatasetLayouts.ColourPng(1);
        var truncated = dir.Write("t.png", png[..(png.Length / 2)]);
        DatasetItem[] items = [new(dir.Write("ok.png", png), AnomalyLabel.Normal, "good", null), new(truncated, AnomalyLabel.Normal, "good", null)];
        var loader = new DatasetLoader(Identity, new DatasetLoaderOptions { BatchSize = 1 });

        var act = () => loader.ReadBatches(items).ToList().ForEach(b => b.Dispose());
        act.Should().Throw<ImageDecodeException>().Where(e => e.FilePath == truncated);
    }

    [Fact]
    public void MaskOfAnotherSizeThrowsNamingTheMask()
    {
        using var dir = new TempDirectory();
        var image = dir.Write("a.png", DatasetLayouts.ColourPng(1));
        var mask = dir.Write("a_mask.png", DatasetLayouts.MaskPng(0, 0, 1, 1, width: 32, height: 31));
        var loader = new DatasetLoader(Identity);
        var act = () => loader.ReadBatches([new DatasetItem(image, AnomalyLabel.Defective, "x", mask)]).ToList();
        act.Should().Throw<DatasetException>().Where(e => e.Path == mask && e.Message.Contains("32x31") && e.Message.Contains(image));
    }

    [Fact]
    public void DifferentTensorSizesInOneBatchAreAnError()
    {
        using var dir = new TempDirectory();
        var square = dir.Write("a.png", DatasetLayouts.ColourPng(1));
        var wide = dir.Write("b.png", ImageEncoder.EncodePng(TestImageFiles.Rgb(48, 32, (_, _, _) => 9)));
        var loader = new DatasetLoader(new ImageTransform(new ImageTransformOptions { ResizeShortSide = 16, ResizeHeight = null, ResizeWidth = null }));
        var act = () => loader.ReadBatches([new DatasetItem(square, AnomalyLabel.Normal, "good", null), new DatasetItem(wide, AnomalyLabel.Normal, "good", null)]).ToList();
        act.Should().Throw<DatasetException>().Where(e => e.Path == wide && e.Message.Contains("16x24"));
    }

    [Fact]
    public async Task ItemsAreEnumeratedLazilyWithinThePrefetchBound()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("a.png", DatasetLayouts.ColourPng(1));
        var enumerated = 0;
        IEnumerable<DatasetItem> Items()
        {
            for (var i = 0; i < 1000; i++)
            {
                Interlocked.Increment(ref enumerated);
                yield return new DatasetItem(path, AnomalyLabel.Normal, "good", null);
            }
        }

        var loader = new DatasetLoader(Identity, new DatasetLoaderOptions { BatchSize = 2, MaxDegreeOfParallelism = 2, PrefetchCount = 4 });
        await using var enumerator = loader.ReadBatchesAsync(Items()).GetAsyncEnumerator();
        (await enumerator.MoveNextAsync()).Should().BeTrue();
        enumerator.Current.Dispose();
        await Task.Delay(200);

        // Two items handed out, at most four queued, one waiting to be queued.
        Volatile.Read(ref enumerated).Should().BeLessThanOrEqualTo(2 + 4 + 1);
    }

    [Fact]
    public async Task CancellationStopsTheEnumeration()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("a.png", DatasetLayouts.ColourPng(1));
        var items = Enumerable.Repeat(new DatasetItem(path, AnomalyLabel.Normal, "good", null), 200);
        using var cts = new CancellationTokenSource();
        var loader = new DatasetLoader(Identity, new DatasetLoaderOptions { BatchSize = 2 });
        var seen = 0;

        var act = async () =>
        {
            await foreach (var batch in loader.ReadBatchesAsync(items, cts.Token))
            {
                batch.Dispose();
                if (++seen == 2)
                {
                    await cts.CancelAsync();
                }
            }
        };

        await act.Should().ThrowAsync<OperationCanceledException>();
        seen.Should().Be(2);
    }

    [Fact]
    public void InvalidLoaderOptionsListEveryProblem()
    {
        var act = () => new DatasetLoader(Identity, new DatasetLoaderOptions { BatchSize = 0, MaxDegreeOfParallelism = 0, PrefetchCount = -1 });
        act.Should().Throw<ArgumentException>().WithMessage("*BatchSize*").WithMessage("*MaxDegreeOfParallelism*").WithMessage("*PrefetchCount*");
    }

    [Fact]
    public void BatchTensorsBelongToNoScope()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("a.png", DatasetLayouts.ColourPng(1));
        var loader = new DatasetLoader(Identity);
        DatasetBatch batch;
        using (NewDisposeScope())
        {
            batch = loader.ReadBatches([new DatasetItem(path, AnomalyLabel.Normal, "good", null)]).Single();
        }

        using (batch)
        {
            batch.Images.IsInvalid.Should().BeFalse("the caller's scope must not dispose the batch's tensors");
            batch.Images.shape.Should().Equal(1, 3, 32, 32);
        }
    }
}
