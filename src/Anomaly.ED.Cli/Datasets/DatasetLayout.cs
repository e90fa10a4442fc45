namespace Anomaly.ED.Cli.Datasets;

/// <summary>How a dataset folder is laid out.</summary>
internal enum DatasetLayout
{
    /// <summary>Recognised from the folders inside.</summary>
    Auto,

    /// <summary>Training: a folder of normal images. Test: <c>good/</c> and one folder per defect type, masks in <c>ground_truth/&lt;type&gt;/</c>.</summary>
    Folder,

    /// <summary>An MVTec AD category folder (<c>train/good</c>, <c>test/&lt;type&gt;</c>, <c>ground_truth/&lt;type&gt;/*_mask.png</c>), or one laid out alike.</summary>
    Mvtec,

    /// <summary>A BTAD product folder (<c>train/ok</c>, <c>test/ok|ko</c>, <c>ground_truth/ko</c>).</summary>
    Btad,

    /// <summary>An MVTec 3D-AD category folder, RGB images only (<c>train/good/rgb</c>, <c>test/&lt;type&gt;/rgb|gt</c>).</summary>
    Mvtec3d,
}
