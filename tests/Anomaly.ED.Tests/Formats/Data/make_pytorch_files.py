# Makes the PyTorch test files of tests/Anomaly.ED.Tests/Formats/Data (run once; the outputs are committed).
# Debian 12: python3-torch 1.13.1, python3-torchvision 0.14.1.   Run: /usr/bin/python3 make_pytorch_files.py
import collections, json, os, zipfile
import torch, torchvision

torch.manual_seed(0)

# 1. Small tensors of several dtypes, a non-contiguous view sharing a storage, and an nn.Parameter.
a = torch.arange(12, dtype=torch.float32).reshape(3, 4) * 0.5
tensors = collections.OrderedDict()
tensors["a"] = a
tensors["a_t"] = a.t()                                            # stride (1, 4) over a's storage
tensors["b"] = torch.arange(6, dtype=torch.int64) - 2
tensors["c"] = torch.tensor([1.5, -2.25], dtype=torch.float16)
tensors["d"] = torch.tensor([True, False, True])
tensors["e"] = torch.tensor(3.0, dtype=torch.float64)            # 0-d
tensors["f"] = torch.nn.Parameter(torch.tensor([[0.125, 8.0]]))
tensors._metadata = collections.OrderedDict([("", {"version": 1})])
torch.save(tensors, "small_zip.pth")
torch.save(tensors, "small_legacy.pth", _use_new_zipfile_serialization=False)
torch.save({"epoch": 3, "state_dict": tensors}, "small_wrapped.bin")      # a training checkpoint around a state dict

# 2. torchvision resnet18's stem and layer1 (seeded random init), as a state dict and as a training checkpoint.
net = torchvision.models.resnet18()
for m in net.modules():
    if isinstance(m, torch.nn.BatchNorm2d):                       # non-trivial batch-norm statistics
        m.running_mean.uniform_(-0.5, 0.5); m.running_var.uniform_(0.5, 1.5)
        m.weight.data.uniform_(0.5, 1.5); m.bias.data.uniform_(-0.2, 0.2)
stem = collections.OrderedDict((k, v) for k, v in net.state_dict().items() if k.startswith(("conv1.", "bn1.", "layer1.")))
torch.save(stem, "resnet18_layer1.pth")
torch.save(stem, "resnet18_layer1_legacy.pth", _use_new_zipfile_serialization=False)
x = torch.linspace(-2, 2, 3 * 32 * 32).reshape(1, 3, 32, 32)
with torch.no_grad():
    net.eval()
    y = net.layer1(net.maxpool(net.relu(net.bn1(net.conv1(x)))))
json.dump({
    "sums": {k: float(v.double().sum()) for k, v in stem.items()},
    "first": {k: [float(t) for t in v.flatten()[:4]] for k, v in stem.items()},
    "layer1_sum": float(y.double().sum()), "layer1_abs_sum": float(y.double().abs().sum()),
    "layer1_first": [float(t) for t in y.flatten()[:8]],
}, open("resnet18_layer1.json", "w"), indent=1)

# 3. Files that must be refused. A REDUCE of os.system (it would create the marker file if it ran):
class RunsCode:
    def __reduce__(self):
        return (os.system, ("touch anomaly-ed-pickle-ran-code",))
torch.save({"w": torch.zeros(2), "x": RunsCode()}, "runs_code.pth")
# A reference to a Python callable without calling it:
torch.save({"w": torch.zeros(2), "f": os.system}, "callable_reference.pth")
# Truncated copies:
data = open("small_zip.pth", "rb").read(); open("truncated_zip.pth", "wb").write(data[: len(data) // 2])
data = open("small_legacy.pth", "rb").read(); open("truncated_legacy.pth", "wb").write(data[: len(data) - 20])
