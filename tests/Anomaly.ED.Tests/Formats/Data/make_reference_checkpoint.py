# Makes ed_tiny-pix.pth and ed_tiny_rfeatures.pkl: a checkpoint written the way the reference ED code writes one
# (trainer.py: torch.save({'state_dict': [model.state_dict() for model in models]})) from the reference's own model
# class, and reference features in create_ref_features.py's format (pickle of an OrderedDict of numpy (C, H*W) arrays,
# keys layer0/layer1/layer2 = backbone layer1/layer2/layer3). Tiny sizes: resnet18 channels at 128x128 input,
# levels layer2 (128 channels, 16x16) and layer3 (256 channels, 8x8), d_model 32, 2 heads, 1 layer.
# Run once with the reference repository (github.com/Vzoooong/ED) checked out at $ED_REPO:
#   ED_REPO=/path/to/ED /usr/bin/python3 make_reference_checkpoint.py
import argparse, collections, json, os, pickle, sys, tempfile
import numpy as np
import torch
sys.path.insert(0, os.environ["ED_REPO"])
from models.model import ED
import models.embedding as embedding
for cls in (embedding.Embedding2D, embedding.PositionalEmbedding):   # their default device is CUDA; run on the CPU
    cls.__init__.__defaults__ = tuple(torch.device("cpu") if isinstance(d, torch.device) else d for d in cls.__init__.__defaults__)

rng = np.random.default_rng(7)
features = collections.OrderedDict([
    ("layer0", rng.standard_normal((64, 32 * 32), dtype=np.float32)),
    ("layer1", rng.standard_normal((128, 16 * 16), dtype=np.float32)),
    ("layer2", rng.standard_normal((256, 8 * 8), dtype=np.float32)),
])
with open("ed_tiny_rfeatures.pkl", "wb") as f:
    pickle.dump(features, f)

# The reference model looks its reference features up by token count as if the input were 256x256
# (model.py: {4096: 'layer0', 1024: 'layer1', 256: 'layer2', 64: 'layer3'}); give it a file keyed that way.
lookup = tempfile.mkdtemp()
with open(os.path.join(lookup, "tiny.pkl"), "wb") as f:
    pickle.dump({"layer2": features["layer1"], "layer3": features["layer2"]}, f)
args = argparse.Namespace(with_intra=True, with_inter=True, rfeatures_path=lookup, class_name="tiny", batch_size=1, device=torch.device("cpu"))

# Attention2D loads squared row/column distances from ./distances (the reference's create_distance_maps.py).
here = os.getcwd()
os.makedirs(os.path.join(lookup, "distances"))
for seq_len in (256, 64):
    width = int(seq_len ** 0.5)
    rows, cols = np.divmod(np.arange(seq_len), width)
    np.save(os.path.join(lookup, "distances", f"distances_x_{seq_len}.npy"), ((cols[:, None] - cols[None, :]) ** 2).astype(np.float32))
    np.save(os.path.join(lookup, "distances", f"distances_y_{seq_len}.npy"), ((rows[:, None] - rows[None, :]) ** 2).astype(np.float32))
os.chdir(lookup)

torch.manual_seed(0)
models = [ED(seq_len=256, in_channels=128, out_channels=128, d_model=32, n_heads=2, n_layers=1, args=args),
          ED(seq_len=64, in_channels=256, out_channels=256, d_model=32, n_heads=2, n_layers=1, args=args)]
for model in models:                                   # move away from the initialisation so a mix-up is visible
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.01)
os.chdir(here)
torch.save({"state_dict": [model.state_dict() for model in models]}, "ed_tiny-pix.pth")
json.dump({
    "references": {k: {"shape": list(v.shape), "sum": float(v.astype(np.float64).sum()), "first": [float(x) for x in v.flatten()[:4]]} for k, v in features.items()},
    "levels": [{k: {"shape": list(v.shape), "sum": float(v.double().sum())} for k, v in model.state_dict().items()} for model in models],
}, open("ed_tiny.json", "w"), indent=1)
