# Makes the small weight-file seeds of the fuzz tests (run once; the outputs are committed).
# Debian 12: python3-onnx 1.12, python3-numpy 1.24.   Run: /usr/bin/python3 make_weight_seeds.py
#
# 1. ResNet18Onnx/ResNet18.onnx and ResNetPrepOnnx/ResNetPreprocess.onnx: ML.NET's ResNet18 graph layout (stem, then
#    2, 2, 2, 3 residual blocks, top-left padding on stride-2 windows, global pool) with 2 channels everywhere, so that
#    the importer maps every initializer; and the preprocessing graph (split RGB, concatenate as BGR, subtract a
#    1x3x4x4 mean image). Checked with onnx.checker.
# 2. reference_features_32.pkl: reference features in create_ref_features.py's format (a pickle of an OrderedDict of
#    numpy (C, H*W) float32 arrays keyed layer0/layer1/layer2) for resnet18 at 32 x 32 input: layer1 (64, 8*8),
#    layer2 (128, 4*4), layer3 (256, 2*2).
import collections, os, pickle
import numpy as np
import onnx
from onnx import TensorProto, helper

rng = np.random.default_rng(11)
C = 2
inits, nodes = [], []

def init(name, shape):
    inits.append(helper.make_tensor(name, TensorProto.FLOAT, shape, rng.standard_normal(shape).astype(np.float32).flatten().tolist()))
    return name

def conv(x, name, out, inp, k, s):
    pad = (k - 1) // 2
    pads = [pad, pad, max(0, pad - 1), max(0, pad - 1)] if s == 2 else [pad] * 4
    nodes.append(helper.make_node("Conv", [x, init(name + "_W", [out, inp, k, k])], [name], name=name,
                                  kernel_shape=[k, k], strides=[s, s], pads=pads, group=1, dilations=[1, 1]))
    return name

def bn(x, name, c):
    ins = [x] + [init(f"{name}_{p}", [c]) for p in ("scale", "bias", "mean", "var")]
    inits[-1] = helper.make_tensor(name + "_var", TensorProto.FLOAT, [c], (rng.uniform(0.5, 1.5, c)).astype(np.float32).tolist())
    nodes.append(helper.make_node("BatchNormalization", ins, [name], name=name, epsilon=1e-5))
    return name

def relu(x, name):
    nodes.append(helper.make_node("Relu", [x], [name], name=name))
    return name

x = conv("data", "conv1", C, 3, 7, 2)
x = relu(bn(x, "bn1", C), "relu1")
nodes.append(helper.make_node("MaxPool", [x], ["pool1"], name="pool1", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 0, 0]))
x = "pool1"
for stage, blocks in enumerate([2, 2, 2, 3], start=1):
    for b in range(blocks):
        p = f"l{stage}b{b}"
        down = stage > 1 and b == 0
        y = relu(bn(conv(x, p + "c1", C, C, 3, 2 if down else 1), p + "n1", C), p + "r1")
        y = bn(conv(y, p + "c2", C, C, 3, 1), p + "n2", C)
        shortcut = bn(conv(x, p + "d", C, C, 1, 2), p + "dn", C) if down else x
        nodes.append(helper.make_node("Add", [y, shortcut], [p + "add"], name=p + "add"))
        x = relu(p + "add", p + "out")
nodes.append(helper.make_node("GlobalAveragePool", [x], ["features"], name="gap"))
graph = helper.make_graph(nodes, "resnet18_tiny", [helper.make_tensor_value_info("data", TensorProto.FLOAT, [1, 3, 32, 32])],
                          [helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, C, 1, 1])], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 9)], producer_name="anomaly-ed fuzz seed")
onnx.checker.check_model(model)
os.makedirs("ResNet18Onnx", exist_ok=True)
onnx.save(model, "ResNet18Onnx/ResNet18.onnx")

mean = helper.make_tensor("mean_image", TensorProto.FLOAT, [1, 3, 4, 4], rng.uniform(90, 130, 48).astype(np.float32).tolist())
prep = helper.make_graph(
    [helper.make_node("Split", ["input"], ["r", "g", "b"], name="split", axis=1),
     helper.make_node("Concat", ["b", "g", "r"], ["bgr"], name="concat", axis=1),
     helper.make_node("Sub", ["bgr", "mean_image"], ["output"], name="sub")],
    "preprocess_tiny", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 4, 4])],
    [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, 4, 4])], [mean])
prep_model = helper.make_model(prep, opset_imports=[helper.make_opsetid("", 9)], producer_name="anomaly-ed fuzz seed")
onnx.checker.check_model(prep_model)
os.makedirs("ResNetPrepOnnx", exist_ok=True)
onnx.save(prep_model, "ResNetPrepOnnx/ResNetPreprocess.onnx")

features = collections.OrderedDict([
    ("layer0", rng.standard_normal((64, 8 * 8), dtype=np.float32)),
    ("layer1", rng.standard_normal((128, 4 * 4), dtype=np.float32)),
    ("layer2", rng.standard_normal((256, 2 * 2), dtype=np.float32)),
])
with open("reference_features_32.pkl", "wb") as f:
    pickle.dump(features, f)
