namespace Anomaly.ED.Data;

/// <summary>The two parts of a dataset after some of its normal images were held out for validation.</summary>
/// <param name="Training">The remaining items, in their original order.</param>
/// <param name="Validation">The held-out normal items, in their original order.</param>
internal sealed record TrainValidationSplit(ImageDataset Training, ImageDataset Validation);
