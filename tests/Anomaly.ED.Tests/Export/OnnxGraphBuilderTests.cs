using Anomaly.ED.Export;
using Anomaly.ED.Formats.Onnx;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;
using DataType = Anomaly.ED.Formats.Onnx.TensorProto.Types.DataType;

namespace Anomaly.ED.Tests.Export;

public sealed class OnnxGraphBuilderTests
{
    [Fact]
    public void InitializersKeepTheirTypeAndValuesAndNamesStayUnique()
    {
        using var scope = NewDisposeScope();
        var graph = new OnnxGraphBuilder("types");
        var x = graph.Input("x", DataType.Float, "batch", 2);
        var half = graph.Initializer("w", tensor(new[] { 0.5f, -2.25f }).to(ScalarType.Float16));
        var bytes = graph.Initializer("w", tensor(new byte[] { 3, 250 }));
        var longs = graph.Int64s(7, -1);
        half.Should().NotBe(bytes, "a repeated name is numbered");
        var sum = graph.Add(graph.Add(x, graph.Node("Cast", [half], OnnxGraphBuilder.Int("to", (long)DataType.Float))), graph.Node("Cast", [bytes], OnnxGraphBuilder.Int("to", (long)DataType.Float)));
        graph.Output(sum, "sum", DataType.Float, "batch", 2);
        graph.Output(graph.Node("Cast", [longs], OnnxGraphBuilder.Int("to", (long)DataType.Float)), "longs", DataType.Float, 2);

        using var session = new InferenceSession(graph.ToModel([]).ToByteArray());
        var input = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(new[] { 1f, 1f, 10f, 10f }, [2, 2]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("x", input)]);
        results.First(r => r.Name == "sum").AsTensor<float>().ToArray().Should().Equal(4.5f, 248.75f, 13.5f, 257.75f);
        results.First(r => r.Name == "longs").AsTensor<float>().ToArray().Should().Equal(7f, -1f);
    }

    [Fact]
    public void ARepeatedInputOrOutputNameAndAnUnsupportedTypeAreRefused()
    {
        using var scope = NewDisposeScope();
        var graph = new OnnxGraphBuilder("names");
        var x = graph.Input("x", DataType.Float, 1);
        var repeated = () => graph.Input("x", DataType.Float, 1);
        repeated.Should().Throw<InvalidOperationException>().WithMessage("*'x'*");
        graph.Output(graph.Relu(x), "y", DataType.Float, 1);
        var again = () => graph.Output(x, "y", DataType.Float, 1);
        again.Should().Throw<InvalidOperationException>().WithMessage("*'y'*");
        var complex = () => graph.Initializer("c", zeros(2, dtype: ScalarType.ComplexFloat32));
        complex.Should().Throw<NotSupportedException>().WithMessage("*'c'*");
    }
}
