using Anomaly.ED.Formats;

namespace Anomaly.ED.Tests.Formats;

public sealed class SafetensorsHeaderValidationTests : IDisposable
{
    private readonly WeightsTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    public static TheoryData<string, string, int, string?, string> BadHeaders => new()
    {
        // name, header, data bytes, tensor named in the error (or null), expected message fragment
        { "invalid json", "{\"t\": {\"dtype\": \"F32\",", 0, null, "not valid JSON" },
        { "not an object", "[1, 2, 3]", 0, null, "must be a JSON object" },
        { "entry not an object", "{\"t\": 3}", 0, "t", "must be an object" },
        { "missing dtype", "{\"t\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", 4, "t", "no 'dtype'" },
        { "missing shape", "{\"t\": {\"dtype\": \"F32\", \"data_offsets\": [0, 4]}}", 4, "t", "no 'shape'" },
        { "missing offsets", "{\"t\": {\"dtype\": \"F32\", \"shape\": [1]}}", 4, "t", "no 'data_offsets'" },
        { "dtype not a string", "{\"t\": {\"dtype\": 7, \"shape\": [1], \"data_offsets\": [0, 4]}}", 4, "t", "'dtype' must be a string" },
        { "unknown dtype", "{\"t\": {\"dtype\": \"F8_E4M3\", \"shape\": [1], \"data_offsets\": [0, 1]}}", 1, "t", "unknown or unsupported dtype 'F8_E4M3'" },
        { "lower-case dtype", "{\"t\": {\"dtype\": \"f32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 4, "t", "unknown or unsupported dtype 'f32'" },
        { "shape not an array", "{\"t\": {\"dtype\": \"F32\", \"shape\": 1, \"data_offsets\": [0, 4]}}", 4, "t", "'shape' must be an array" },
        { "negative dim", "{\"t\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}", 4, "t", "dimension 0 is -1" },
        { "fractional dim", "{\"t\": {\"dtype\": \"F32\", \"shape\": [2, 1.5], \"data_offsets\": [0, 12]}}", 12, "t", "dimension 1 is 1.5" },
        { "string dim", "{\"t\": {\"dtype\": \"F32\", \"shape\": [\"2\"], \"data_offsets\": [0, 8]}}", 8, "t", "dimension 0 is \"2\"" },
        { "offsets not a pair", "{\"t\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4, 8]}}", 8, "t", "'data_offsets' must be [begin, end]" },
        { "offsets not an array", "{\"t\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": \"0-4\"}}", 4, "t", "'data_offsets' must be [begin, end]" },
        { "negative offset", "{\"t\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [-4, 0]}}", 4, "t", "begin is -4" },
        { "begin after end", "{\"t\": {\"dtype\": \"F32\", \"shape\": [0], \"data_offsets\": [4, 0]}}", 4, "t", "begin 4 is after end 0" },
        { "data outside file", "{\"t\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}}", 8, "t", "beyond the data section, which has 8 bytes" },
        { "size mismatch", "{\"t\": {\"dtype\": \"F32\", \"shape\": [2, 3], \"data_offsets\": [0, 16]}}", 24, "t", "span 16 bytes, but shape [2, 3] of F32 needs 24" },
        { "dtype size mismatch", "{\"t\": {\"dtype\": \"F64\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 8, "t", "needs 16" },
        {
            "overlap", "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}",
            12, "b", "overlap those of tensor 'a'"
        },
        { "metadata value not a string", "{\"__metadata__\": {\"k\": 1}}", 0, null, "value of key 'k' must be a string" },
        { "metadata not an object", "{\"__metadata__\": [\"k\"]}", 0, null, "'__metadata__' must be an object" },
        {
            "duplicate tensor name", "{\"t\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [0, 1]}, \"t\": {\"dtype\": \"U8\", \"shape\": [1], \"data_offsets\": [1, 2]}}",
            2, "t", "more than once"
        },
        { "element count overflow", "{\"t\": {\"dtype\": \"F64\", \"shape\": [4294967296, 4294967296], \"data_offsets\": [0, 8]}}", 8, "t", "too many elements" },
    };

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public void MalformedHeaderIsRejectedNamingFileAndTensor(string caseName, string header, int dataBytes, string? tensor, string fragment)
    {
        var path = _files.WriteRaw(caseName.Replace(' ', '_') + ".safetensors", header, new byte[dataBytes]);

        var act = () => SafetensorsFile.Open(path);

        var error = act.Should().Throw<SafetensorsFormatException>().Which;
        error.FilePath.Should().Be(path);
        error.TensorName.Should().Be(tensor);
        error.Message.Should().Contain(path).And.Contain(fragment);
        if (tensor is not null)
        {
            error.Message.Should().Contain($"tensor '{tensor}'");
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void FileShorterThanEightBytesIsRejected(int length)
    {
        var path = _files.PathOf("short.safetensors");
        File.WriteAllBytes(path, new byte[length]);

        var act = () => SafetensorsFile.Open(path);

        act.Should().Throw<SafetensorsFormatException>().Which.Message.Should().Contain(path).And.Contain($"has {length} bytes");
    }

    [Fact]
    public void ZeroHeaderLengthIsRejected()
    {
        var path = _files.WriteRaw("zero.safetensors", "{}", declaredLength: 0);

        var act = () => SafetensorsFile.Open(path);

        act.Should().Throw<SafetensorsFormatException>().WithMessage("*header length is 0*");
    }

    [Fact]
    public void HeaderLengthAboveTheBoundIsRejectedBeforeAllocating()
    {
        var path = _files.WriteRaw("huge.safetensors", "{}", declaredLength: 100_000_001);

        var act = () => SafetensorsFile.Open(path);

        act.Should().Throw<SafetensorsFormatException>().WithMessage("*header length 100000001 exceeds the limit of 100000000 bytes*");
    }

    [Fact]
    public void HeaderLengthBeyondTheFileEndIsRejected()
    {
        var path = _files.WriteRaw("truncated.safetensors", "{}", declaredLength: 64);

        var act = () => SafetensorsFile.Open(path);

        act.Should().Throw<SafetensorsFormatException>().WithMessage("*header length 64 reaches beyond the end of the file (10 bytes)*");
    }

    [Fact]
    public void HeaderLengthAboveLongMaxIsRejected()
    {
        var path = _files.WriteRaw("max.safetensors", "{}", declaredLength: ulong.MaxValue);

        var act = () => SafetensorsFile.Open(path);

        act.Should().Throw<SafetensorsFormatException>().WithMessage("*exceeds the limit*");
    }

    [Fact]
    public void InvalidUtf8IsRejected()
    {
        var header = "{\"tX\": {}}"u8.ToArray();
        header[3] = 0xFF;
        var path = _files.WriteRawBytes("utf8.safetensors", header);

        var act = () => SafetensorsFile.Open(path);

        act.Should().Throw<SafetensorsFormatException>().WithMessage("*not valid UTF-8*");
    }

    [Fact]
    public void TruncatedDataIsRejectedAtOpen()
    {
        var header = "{\"a\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}}";
        var path = _files.WriteRaw("cut.safetensors", header, new byte[12]);

        var act = () => SafetensorsFile.Open(path);

        act.Should().Throw<SafetensorsFormatException>().Which.TensorName.Should().Be("a");
    }

    [Fact]
    public void ValidEdgeCasesAreAccepted()
    {
        // Null metadata, empty tensors sharing an offset, extra fields, trailing padding and unused bytes after the data.
        var header = "{\"__metadata__\": null, \"e1\": {\"dtype\": \"F32\", \"shape\": [0, 3], \"data_offsets\": [4, 4], \"extra\": 1},"
            + " \"e2\": {\"dtype\": \"I64\", \"shape\": [2, 0], \"data_offsets\": [4, 4]}, \"s\": {\"dtype\": \"F32\", \"shape\": [], \"data_offsets\": [0, 4]}}    ";
        var path = _files.WriteRaw("edge.safetensors", header, [0, 0, 128, 63, 9, 9]);

        using var file = SafetensorsFile.Open(path);

        file.Metadata.Should().BeEmpty();
        file.Tensors.Select(t => t.Name).Should().Equal("s", "e1", "e2");
        using var scalar = file.ReadTensor("s");
        scalar.shape.Should().BeEmpty();
        scalar.item<float>().Should().Be(1f);
        using var empty = file.ReadTensor("e1");
        empty.shape.Should().Equal(0, 3);
    }
}
