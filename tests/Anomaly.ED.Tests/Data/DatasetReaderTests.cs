using Anomaly.ED.Data;

namespace Anomaly.ED.Tests.Data;

public sealed class DatasetReaderTests
{
    [Fact]
    public void MvtecAdTrainListsPngNormalsInOrdinalOrder()
    {
        using var dir = new TempDirectory();
        DatasetLayouts.WriteMvtecAd(dir);
        var dataset = MvtecAdDataset.Open(dir.Path, "bottle", DatasetSplit.Train);

        dataset.Items.Select(i => Path.GetFileName(i.ImagePath)).Should().Equal("000.png", "001.png", "B.png", "a.png");
        dataset.Items.Should().OnlyContain(i => i.Label == AnomalyLabel.Normal && i.DefectType == "good" && i.MaskPath == null);
        dataset.Name.Should().Be("MVTec AD/bottle/train");
        dataset.ReferenceTransform.ResizeHeight.Should().Be(256);
        dataset.ReferenceTransform.ResizeShortSide.Should().BeNull();
    }

    [Fact]
    public void MvtecAdTestListsTypesSortedWithMasks()
    {
        using var dir = new TempDirectory();
        DatasetLayouts.WriteMvtecAd(dir);
        var dataset = MvtecAdDataset.Open(dir.Path, "bottle", DatasetSplit.Test);

        dataset.Items.Select(i => $"{i.DefectType}/{Path.GetFileName(i.ImagePath)}").Should().Equal(
            "broken_large/000.png", "broken_large/001.png", "contamination/000.png", "good/000.png");
        dataset.Items.Select(i => i.Label).Should().Equal(AnomalyLabel.Defective, AnomalyLabel.Defective, AnomalyLabel.Defective, AnomalyLabel.Normal);
        dataset.Items[1].MaskPath.Should().Be(dir.Combine("bottle/ground_truth/broken_large/001_mask.png"));
        dataset.Items[3].MaskPath.Should().BeNull();
        dataset.DefectiveCount.Should().Be(3);
        dataset.NormalCount.Should().Be(1);
        dataset.DefectTypes.Should().Equal("broken_large", "contamination", "good");
    }

    [Fact]
    public void CategoryListsArePublic()
    {
        MvtecAdDataset.Categories.Should().HaveCount(15).And.Contain(["bottle", "zipper", "metal_nut"]);
        BtadDataset.Categories.Should().Equal("01", "02", "03");
        Mvtec3dRgbDataset.Categories.Should().HaveCount(10).And.Contain(["bagel", "cable_gland", "tire"]);
    }

    [Fact]
    public void UnknownCategoryListsTheValidOnes()
    {
        using var dir = new TempDirectory();
        var act = () => MvtecAdDataset.Open(dir.Path, "bottles", DatasetSplit.Train);
        act.Should().Throw<ArgumentException>().WithMessage("*'bottles'*bottle, cable*").Which.ParamName.Should().Be("category");
    }

    [Fact]
    public void MissingFoldersAreNamed()
    {
        using var dir = new TempDirectory();
        var missingRoot = dir.Combine("nowhere");
        var act = () => MvtecAdDataset.Open(missingRoot, "bottle", DatasetSplit.Train);
        act.Should().Throw<DatasetException>().Where(e => e.Path == missingRoot && e.Message.Contains(missingRoot));

        var missingCategory = () => BtadDataset.Open(dir.Path, "02", DatasetSplit.Test);
        missingCategory.Should().Throw<DatasetException>().Where(e => e.Path == dir.Combine("02"));

        dir.CreateFolder("bagel/train");
        var missingSplit = () => Mvtec3dRgbDataset.Open(dir.Path, "bagel", DatasetSplit.Test);
        missingSplit.Should().Throw<DatasetException>().Where(e => e.Path == dir.Combine("bagel/test"));
    }

    [Fact]
    public void EmptySplitFolderIsAnError()
    {
        using var dir = new TempDirectory();
        dir.CreateFolder("carpet/train/good");
        var act = () => MvtecAdDataset.Open(dir.Path, "carpet", DatasetSplit.Train);
        act.Should().Throw<DatasetException>().Where(e => e.Path == dir.Combine("carpet/train") && e.Reason.Contains("No images"));
    }

    [Fact]
    public void MissingMaskThrowsNamingTheExpectedPath()
    {
        using var dir = new TempDirectory();
        DatasetLayouts.WriteMvtecAd(dir);
        var mask = dir.Combine("bottle/ground_truth/contamination/000_mask.png");
        File.Delete(mask);
        var act = () => MvtecAdDataset.Open(dir.Path, "bottle", DatasetSplit.Test);
        act.Should().Throw<DatasetException>().Where(e => e.Path == mask && e.Message.Contains("contamination"));
    }

    [Fact]
    public void MissingMaskIsSkippedAndCountedWhenAsked()
    {
        using var dir = new TempDirectory();
        DatasetLayouts.WriteMvtecAd(dir);
        var mask = dir.Combine("bottle/ground_truth/contamination/000_mask.png");
        File.Delete(mask);
        var logger = new ListLogger();
        var dataset = MvtecAdDataset.Open(dir.Path, "bottle", DatasetSplit.Test, BadFilePolicy.Skip, logger);

        dataset.Count.Should().Be(3);
        dataset.Items.Should().NotContain(i => i.DefectType == "contamination");
        dataset.SkippedFiles.Should().ContainSingle().Which.Path.Should().Be(mask);
        logger.Entries.Should().Contain(e => e.EventId.Id == 5001 && e.Message.Contains(mask));
    }

    [Fact]
    public void BtadListsBmpAndPngWithTheMaskExtensionOfEachProduct()
    {
        using var dir = new TempDirectory();
        DatasetLayouts.WriteBtad(dir);
        var test01 = BtadDataset.Open(dir.Path, "01", DatasetSplit.Test);
        test01.Items.Select(i => (i.DefectType, i.Label)).Should().Equal(("ko", AnomalyLabel.Defective), ("ok", AnomalyLabel.Normal));
        test01.Items[0].MaskPath.Should().Be(dir.Combine("01/ground_truth/ko/0000.png"));

        var test03 = BtadDataset.Open(dir.Path, "03", DatasetSplit.Test);
        test03.Items[0].MaskPath.Should().Be(dir.Combine("03/ground_truth/ko/0007.bmp"));
        test03.ReferenceTransform.ResizeShortSide.Should().Be(256);
        test03.ReferenceTransform.CropHeight.Should().Be(256);

        BtadDataset.Open(dir.Path, "01", DatasetSplit.Train).Items.Select(i => Path.GetFileName(i.ImagePath)).Should().Equal("0000.bmp", "0001.bmp");
        BtadDataset.Open(dir.Path, "02", DatasetSplit.Train).Items.Should().ContainSingle().Which.ImagePath.Should().EndWith("0000.png");
    }

    [Fact]
    public void Mvtec3dListsRgbOnlyWithGtMasks()
    {
        using var dir = new TempDirectory();
        DatasetLayouts.WriteMvtec3d(dir);
        var test = Mvtec3dRgbDataset.Open(dir.Path, "bagel", DatasetSplit.Test);
        test.Items.Select(i => i.ImagePath).Should().Equal(dir.Combine("bagel/test/crack/rgb/000.png"), dir.Combine("bagel/test/good/rgb/000.png"));
        test.Items[0].MaskPath.Should().Be(dir.Combine("bagel/test/crack/gt/000.png"));
        Mvtec3dRgbDataset.Open(dir.Path, "bagel", DatasetSplit.Train).Items.Should().ContainSingle().Which.IsDefective.Should().BeFalse();
    }

    [Fact]
    public void FolderDatasetMatchesMasksByTypeFolderThenFlat()
    {
        using var dir = new TempDirectory();
        dir.Write("normal/n2.png", DatasetLayouts.ColourPng(1));
        dir.Write("normal/n1.bmp", DatasetLayouts.ColourBmp(2));
        dir.Write("normal/skip.txt", [1]);
        dir.Write("defects/scratch/s1.png", DatasetLayouts.ColourPng(3));
        dir.Write("defects/dent/d1.jpg", DatasetLayouts.ColourPng(4));
        dir.Write("masks/scratch/s1_mask.png", DatasetLayouts.MaskPng(1, 1, 2, 2));
        dir.Write("masks/d1_mask.bmp", DatasetLayouts.MaskBmp8(1, 1, 2, 2));
        var dataset = FolderDataset.Open(new FolderDatasetOptions
        {
            NormalDirectory = dir.Combine("normal"),
            DefectDirectories = [dir.Combine("defects/scratch"), dir.Combine("defects/dent") + Path.DirectorySeparatorChar],
            MaskDirectory = dir.Combine("masks"),
            MaskSuffix = "_mask",
            Name = "parts",
        });

        dataset.Name.Should().Be("parts");
        dataset.Items.Select(i => (Path.GetFileName(i.ImagePath), i.DefectType, i.Label)).Should().Equal(
            ("n1.bmp", "good", AnomalyLabel.Normal),
            ("n2.png", "good", AnomalyLabel.Normal),
            ("s1.png", "scratch", AnomalyLabel.Defective),
            ("d1.jpg", "dent", AnomalyLabel.Defective));
        dataset.Items[2].MaskPath.Should().Be(dir.Combine("masks/scratch/s1_mask.png"));
        dataset.Items[3].MaskPath.Should().Be(dir.Combine("masks/d1_mask.bmp"));
    }

    [Fact]
    public void FolderDatasetWithoutMaskFolderHasNoMasks()
    {
        using var dir = new TempDirectory();
        dir.Write("bad/x.png", DatasetLayouts.ColourPng(1));
        var dataset = FolderDataset.Open(new FolderDatasetOptions { DefectDirectories = [dir.Combine("bad")] });
        dataset.Items.Should().ContainSingle().Which.Should().Be(new DatasetItem(dir.Combine("bad/x.png"), AnomalyLabel.Defective, "bad", null));
    }

    [Fact]
    public void FolderDatasetMissingMaskNamesTheFirstCandidate()
    {
        using var dir = new TempDirectory();
        dir.Write("bad/x.png", DatasetLayouts.ColourPng(1));
        dir.CreateFolder("masks");
        var act = () => FolderDataset.Open(new FolderDatasetOptions { DefectDirectories = [dir.Combine("bad")], MaskDirectory = dir.Combine("masks") });
        act.Should().Throw<DatasetException>().Where(e => e.Path == dir.Combine("masks/bad/x.png"));
    }

    [Fact]
    public void FolderDatasetOptionsAreValidated()
    {
        var act = () => FolderDataset.Open(new FolderDatasetOptions { Extensions = ["png"] });
        act.Should().Throw<ArgumentException>().WithMessage("*Set NormalDirectory, DefectDirectories*").WithMessage("*starting with '.'*");
    }

    [Fact]
    public void FolderDatasetEmptyNormalFolderIsAnError()
    {
        using var dir = new TempDirectory();
        var empty = dir.CreateFolder("normal");
        var logger = new ListLogger();
        var act = () => FolderDataset.Open(new FolderDatasetOptions { NormalDirectory = empty }, logger);
        act.Should().Throw<DatasetException>().Where(e => e.Path == empty);
        logger.Entries.Should().Contain(e => e.EventId.Id == 5002 && e.Message.Contains(empty));
    }

    [Fact]
    public void HoldOutNormalsIsSeededAndKeepsOrder()
    {
        var items = Enumerable.Range(0, 20).Select(i => new DatasetItem($"img{i:D2}.png", i % 5 == 4 ? AnomalyLabel.Defective : AnomalyLabel.Normal, "t", null)).ToArray();
        var dataset = new ImageDataset("synthetic", items);

        var split = dataset.HoldOutNormals(0.25, seed: 7);
        var again = dataset.HoldOutNormals(0.25, seed: 7);
        var other = dataset.HoldOutNormals(0.25, seed: 8);

        split.Validation.Count.Should().Be(4, "round(0.25 * 16 normals)");
        split.Validation.Items.Should().OnlyContain(i => !i.IsDefective);
        split.Training.Count.Should().Be(16);
        split.Training.DefectiveCount.Should().Be(4);
        split.Validation.Items.Should().Equal(again.Validation.Items);
        split.Validation.Items.Should().NotEqual(other.Validation.Items);
        split.Validation.Items.Select(i => i.ImagePath).Should().BeInAscendingOrder(StringComparer.Ordinal);
        split.Training.Items.Concat(split.Validation.Items).Should().BeEquivalentTo(items);
    }

    [Fact]
    public void HoldOutNormalsValidatesItsArguments()
    {
        var dataset = new ImageDataset("one", [new DatasetItem("a.png", AnomalyLabel.Normal, "good", null)]);
        dataset.Invoking(d => d.HoldOutNormals(0.5, 1)).Should().Throw<InvalidOperationException>().WithMessage("*at least 2*");
        dataset.Invoking(d => d.HoldOutNormals(1.0, 1)).Should().Throw<ArgumentOutOfRangeException>();
    }
}
