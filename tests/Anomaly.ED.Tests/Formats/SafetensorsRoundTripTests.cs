using System.Buffers.Binary;
using System.Text.Json;
using System.Text;
using Anomaly.ED.Formats;
using Anomaly.ED.Tests.TestSupport;
using static TorchSharp.torch;

namespace Anomaly.ED.Tests.Formats;

public sealed class SafetensorsRoundTripTests : IDisposable
{
    private readonly WeightsTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    public static TheoryData<ScalarType, string> SupportedTypes => new()
    {
        { ScalarType.Bool, "BOOL" },
        { ScalarType.Byte, "U8" },
        { ScalarType.Int8, "I8" },
        { ScalarType.Int16, "I16" },
        { ScalarType.Int32, "I32" },
        { ScalarType.Int64, "I64" },
        { ScalarType.Float16, "F16" },
        { ScalarType.BFloat16, "BF16" },
        { ScalarType.Float32, "F32" },
        { ScalarType.Float64, "F64" },
    };

    [Theory]
    [MemberData(nameof(SupportedTypes))]
    public void EverySupportedDTypeRoundTripsWithItsShapeIncludingScalarsAndEmptyTensors(ScalarType type, string headerName)
    {
        using var scope = NewDisposeScope();
        var values = arange(-12, 12, ScalarType.Float64).mul(0.75);
        var matrix = (type == ScalarType.Bool ? values.gt(0) : values.to(type)).reshape(2, 3, 4);
        var scalar = (type == ScalarType.Bool ? tensor(true) : tensor(-3.5).to(type));
        var emptyOne = zeros([0, 5], type);
        var path = _files.PathOf($"{headerName}.safetensors");

        SafetensorsWriter.Save(path, new Dictionary<string, Tensor> { ["matrix"] = matrix, ["scalar"] = scalar, ["empty"] = emptyOne });

        using var file = SafetensorsFile.Open(path);
        foreach (var (name, expected) in new[] { ("matrix", matrix), ("scalar", scalar), ("empty", emptyOne) })
        {
            var info = file.GetInfo(name);
            info.DType.ToString().ToUpperInvariant().Should().Be(headerName);
            info.Shape.Should().Equal(expected.shape);
            var actual = file.ReadTensor(name);
            actual.dtype.Should().Be(type);
            TensorAssert.Equal(actual, expected, name);
        }

        file.GetInfo("scalar").ElementCount.Should().Be(1);
        file.GetInfo("empty").ElementCount.Should().Be(0);
    }

    [Fact]
    public void LayoutMatchesThePythonWriter()
    {
        using var scope = NewDisposeScope();
        var path = _files.PathOf("layout.safetensors");
        var tensors = new Dictionary<string, Tensor>
        {
            ["b.byte"] = ones(3, ScalarType.Byte),
            ["a.half"] = ones(3, ScalarType.Float16),
            ["z.double"] = ones(2, ScalarType.Float64),
            ["c.float"] = ones(5, ScalarType.Float32),
            ["a.long"] = ones(1, ScalarType.Int64),
            ["a.int"] = ones(1, ScalarType.Int32),
        };

        SafetensorsWriter.Save(path, tensors, new Dictionary<string, string> { ["format"] = "pt", ["quote"] = "a \"b\" + <c> é" });

        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        headerLength.Should().BeGreaterThan(0);
        (headerLength % 8).Should().Be(0, "the data must start 8-byte aligned");
        var header = Encoding.UTF8.GetString(bytes, 8, headerLength);
        header.Should().StartWith("{\"__metadata__\":{\"format\":\"pt\",").And.Contain("é").And.Contain("<c>");
        bytes.AsSpan(8, headerLength).TrimEnd((byte)' ').Length.Should().BeGreaterThan(headerLength - 8, "padding is at most 7 spaces");
        using var document = JsonDocument.Parse(header);
        document.RootElement.EnumerateObject().Select(p => p.Name).Should().Equal(
            "__metadata__", "a.long", "z.double", "a.int", "c.float", "a.half", "b.byte");

        using var file = SafetensorsFile.Open(path);
        file.Tensors.Select(t => (t.Name, t.DataBegin, t.DataEnd)).Should().Equal(
            ("a.long", 0L, 8L), ("z.double", 8L, 24L), ("a.int", 24L, 28L), ("c.float", 28L, 48L), ("a.half", 48L, 54L), ("b.byte", 54L, 57L));
        bytes.Length.Should().Be(8 + headerLength + 57);
        file.Metadata.Should().Equal(new Dictionary<string, string> { ["format"] = "pt", ["quote"] = "a \"b\" + <c> é" });
    }

    [Fact]
    public void RewritingTheGoldenFileReproducesItByteForByte()
    {
        var golden = GoldenData.Copied("model/ed_small.safetensors");
        var path = _files.PathOf("rewritten.safetensors");
        using var scope = NewDisposeScope();
        using (var file = SafetensorsFile.Open(golden))
        {
            SafetensorsWriter.Save(path, file.ReadAll(), file.Metadata);
        }

        File.ReadAllBytes(path).SequenceEqual(File.ReadAllBytes(golden)).Should().BeTrue("the writer lays files out as the Python safetensors writer does");
    }

    [Fact]
    public void ChunkedReadsAndWritesMatchSingleCalls()
    {
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["f32"] = randn(10, 100),
            ["f64"] = randn(333, ScalarType.Float64),
            ["f16"] = randn(7, 11).to(ScalarType.Float16),
            ["bool"] = randn(203).gt(0),
            ["small"] = arange(3, ScalarType.Int16),
        };
        var whole = _files.PathOf("whole.safetensors");
        var chunked = _files.PathOf("chunked.safetensors");

        SafetensorsWriter.Save(whole, tensors);
        SafetensorsWriter.Save(chunked, tensors, metadata: null, chunkBytes: 64);

        File.ReadAllBytes(chunked).Should().Equal(File.ReadAllBytes(whole));
        using var file = SafetensorsFile.Open(whole, chunkBytes: 64);
        foreach (var (name, expected) in tensors)
        {
            TensorAssert.Equal(file.ReadTensor(name), expected, name);
        }

        file.ReadArray<double>("f64").Should().Equal(tensors["f64"].data<double>().ToArray());
    }

    [Theory]
    [InlineData(1 << 20, 2)]
    [InlineData(8, 13)]
    public void BooleanBytesOtherThanZeroAndOneAreRejected(int chunkBytes, int badIndex)
    {
        var data = new byte[20];
        data[badIndex] = 2;
        var path = _files.WriteRaw("bool.safetensors", "{\"mask\": {\"dtype\": \"BOOL\", \"shape\": [4, 5], \"data_offsets\": [0, 20]}}", data);
        using var file = SafetensorsFile.Open(path, chunkBytes);

        var act = () => file.ReadTensor("mask");

        var error = act.Should().Throw<SafetensorsFormatException>().Which;
        error.TensorName.Should().Be("mask");
        error.Message.Should().Contain($"BOOL element {badIndex} (flat index) is 2");
    }

    [Fact]
    public void NonContiguousAndGradientTrackingTensorsAreSavedAsTheirValues()
    {
        using var scope = NewDisposeScope();
        var source = arange(12, ScalarType.Float32).reshape(3, 4);
        var transposed = source.t();
        transposed.is_contiguous().Should().BeFalse();
        var parameter = randn(2, 2).requires_grad_(true);
        var path = _files.PathOf("views.safetensors");

        SafetensorsWriter.Save(path, new Dictionary<string, Tensor> { ["t"] = transposed, ["p"] = parameter });

        using var file = SafetensorsFile.Open(path);
        TensorAssert.Equal(file.ReadTensor("t"), transposed, "t");
        TensorAssert.Equal(file.ReadTensor("p"), parameter.detach(), "p");
    }

    [Fact]
    public void SaveReplacesAnExistingFileAndLeavesNoTemporaryFiles()
    {
        using var scope = NewDisposeScope();
        var path = _files.PathOf("replace.safetensors");
        File.WriteAllText(path, "old content");

        SafetensorsWriter.Save(path, new Dictionary<string, Tensor> { ["x"] = ones(2) });

        using (var file = SafetensorsFile.Open(path))
        {
            file.Tensors.Should().ContainSingle().Which.Name.Should().Be("x");
        }

        Directory.GetFiles(_files.Directory).Should().Equal(path);
    }

    [Fact]
    public void FailedSaveKeepsTheExistingFileAndLeavesNoTemporaryFiles()
    {
        using var scope = NewDisposeScope();
        var path = _files.PathOf("keep.safetensors");
        SafetensorsWriter.Save(path, new Dictionary<string, Tensor> { ["x"] = ones(2) });
        var before = File.ReadAllBytes(path);

        var act = () => SafetensorsWriter.Save(path, new Dictionary<string, Tensor> { ["x"] = ones(3), ["c"] = ones(2, ScalarType.ComplexFloat32) });

        act.Should().Throw<NotSupportedException>().WithMessage($"*{path}*'c'*ComplexFloat32*");
        File.ReadAllBytes(path).Should().Equal(before);
        Directory.GetFiles(_files.Directory).Should().Equal(path);
    }

    [Fact]
    public void DuplicateNamesAreRejected()
    {
        using var scope = NewDisposeScope();
        var tensors = new[] { KeyValuePair.Create("w", ones(1)), KeyValuePair.Create("w", zeros(1)) };

        var act = () => SafetensorsWriter.Save(_files.PathOf("dup.safetensors"), tensors);

        act.Should().Throw<ArgumentException>().WithMessage("*tensor name 'w' appears more than once*");
        File.Exists(_files.PathOf("dup.safetensors")).Should().BeFalse();
    }

    [Fact]
    public void ReservedAndEmptyNamesAndDisposedTensorsAreRejected()
    {
        using var scope = NewDisposeScope();
        var disposed = ones(1);
        disposed.Dispose();
        var path = _files.PathOf("bad.safetensors");

        FluentActions.Invoking(() => SafetensorsWriter.Save(path, new Dictionary<string, Tensor> { ["__metadata__"] = ones(1) }))
            .Should().Throw<ArgumentException>().WithMessage("*reserved*");
        FluentActions.Invoking(() => SafetensorsWriter.Save(path, new Dictionary<string, Tensor> { [string.Empty] = ones(1) }))
            .Should().Throw<ArgumentException>().WithMessage("*empty name*");
        FluentActions.Invoking(() => SafetensorsWriter.Save(path, new Dictionary<string, Tensor> { ["gone"] = disposed }))
            .Should().Throw<ArgumentException>().WithMessage("*'gone' is null or disposed*");
    }

    [Fact]
    public void ReadArrayReinterpretsElementsOfTheSameSizeAndRejectsOtherSizes()
    {
        using var scope = NewDisposeScope();
        var path = _files.PathOf("arrays.safetensors");
        SafetensorsWriter.Save(path, new Dictionary<string, Tensor> { ["f"] = tensor(new[] { 1.5f, -2f, 1f }), ["l"] = tensor(new[] { -1L, 7L }) });

        using var file = SafetensorsFile.Open(path);

        file.ReadArray<float>("f").Should().Equal(1.5f, -2f, 1f);
        file.ReadArray<int>("f")[2].Should().Be(0x3F800000, "1.0f has these bits");
        file.ReadArray<ulong>("l").Should().Equal(ulong.MaxValue, 7UL);
        FluentActions.Invoking(() => file.ReadArray<double>("f")).Should().Throw<InvalidOperationException>()
            .WithMessage($"*'f'*{path}*F32 (4 bytes per element)*ReadArray<Double>*");
    }

    [Fact]
    public void UnsignedWideTypesAreReadThroughReadArrayOnly()
    {
        var header = "{\"u16\": {\"dtype\": \"U16\", \"shape\": [2], \"data_offsets\": [12, 16]},"
            + " \"u32\": {\"dtype\": \"U32\", \"shape\": [1], \"data_offsets\": [8, 12]},"
            + " \"u64\": {\"dtype\": \"U64\", \"shape\": [], \"data_offsets\": [0, 8]}}";
        var data = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(data, 0xE220A8397B1DCDAF);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(8), 4_000_000_000);
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(12), 65535);
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(14), 1);
        var path = _files.WriteRaw("unsigned.safetensors", header, data);

        using var file = SafetensorsFile.Open(path);

        file.ReadArray<ulong>("u64").Should().Equal(0xE220A8397B1DCDAF);
        file.ReadArray<uint>("u32").Should().Equal(4_000_000_000u);
        file.ReadArray<ushort>("u16").Should().Equal((ushort)65535, (ushort)1);
        FluentActions.Invoking(() => file.ReadTensor("u64")).Should().Throw<NotSupportedException>().WithMessage("*'u64'*U64*ReadArray<ulong>*");
        FluentActions.Invoking(() => file.ReadTensor("u16")).Should().Throw<NotSupportedException>().WithMessage("*ReadArray<ushort>*");
        FluentActions.Invoking(() => file.ReadAll()).Should().Throw<NotSupportedException>();
    }

    [Fact]
    public void UnknownTensorNameGivesKeyNotFoundNamingFileAndTensor()
    {
        using var file = SafetensorsFile.Open(GoldenData.Copied("model/ed_small.safetensors"));

        file.Contains("no.such.tensor").Should().BeFalse();
        FluentActions.Invoking(() => file.GetInfo("no.such.tensor")).Should().Throw<KeyNotFoundException>()
            .WithMessage($"*'no.such.tensor'*{file.FilePath}*");
        FluentActions.Invoking(() => file.ReadTensor("no.such.tensor")).Should().Throw<KeyNotFoundException>();
    }

    [Fact]
    public void ReadAllFiltersByPrefixAndStripsIt()
    {
        using var scope = NewDisposeScope();
        var path = _files.PathOf("prefix.safetensors");
        SafetensorsWriter.Save(path, new Dictionary<string, Tensor>
        {
            ["model.a"] = ones(1),
            ["model.b.c"] = full(2, 2.0f),
            ["other.a"] = zeros(1),
        });

        using var file = SafetensorsFile.Open(path);
        var all = file.ReadAll();
        var model = file.ReadAll("model.");

        all.Keys.Should().BeEquivalentTo("model.a", "model.b.c", "other.a");
        model.Keys.Should().BeEquivalentTo("a", "b.c");
        TensorAssert.Equal(model["b.c"], full(2, 2.0f), "b.c");
        file.ReadAll("missing.").Should().BeEmpty();
    }

    [Fact]
    public void ReadingFromManyThreadsAtOnceGivesTheSameTensors()
    {
        using var file = SafetensorsFile.Open(GoldenData.Copied("model/ed_small.safetensors"));
        var names = file.Tensors.Where(t => t.ElementCount > 1000).Select(t => t.Name).Take(24).ToArray();
        var expected = names.ToDictionary(n => n, n => file.ReadArray<float>(n));

        var mismatches = 0;
        Parallel.For(0, names.Length * 4, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var name = names[i % names.Length];
            using var scope = NewDisposeScope();
            var values = file.ReadTensor(name).data<float>().ToArray();
            if (!values.SequenceEqual(expected[name]))
            {
                Interlocked.Increment(ref mismatches);
            }
        });

        mismatches.Should().Be(0);
    }

    [Fact]
    public void ReadsAfterDisposeThrowObjectDisposed()
    {
        var file = SafetensorsFile.Open(GoldenData.Copied("model/ed_small.safetensors"));
        file.Dispose();

        FluentActions.Invoking(() => file.ReadTensor("loss.rec")).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => file.ReadArray<float>("loss.rec")).Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public void MissingFileGivesFileNotFound()
    {
        var act = () => SafetensorsFile.Open(_files.PathOf("absent.safetensors"));

        act.Should().Throw<FileNotFoundException>();
    }

    [Fact]
    public void ReadTensorOnTheCpuDeviceReturnsACpuTensorInTheCallersScope()
    {
        using var file = SafetensorsFile.Open(GoldenData.Copied("model/ed_small.safetensors"));
        Tensor read;
        using (NewDisposeScope())
        {
            read = file.ReadTensor("distances_x", CPU);
            read.device_type.Should().Be(TorchSharp.DeviceType.CPU);
        }

        read.IsInvalid.Should().BeTrue("a tensor read inside a dispose scope belongs to that scope");
    }
}
