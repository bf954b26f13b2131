"""`python -m sr_jax.tools.vgg`: converting torchvision and Keras weight files (no downloads)."""
import importlib.util
import pathlib

import jax
import numpy as np
import pytest

from sr_jax.metrics import lpips
from sr_jax.models import vgg
from sr_jax.tools import vgg as tool

_spec = importlib.util.spec_from_file_location(
    "vgg_test_helpers", pathlib.Path(__file__).parents[1] / "models" / "test_vgg.py")
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)


@pytest.fixture(autouse=True)
def _exact_float32():
  """Full-precision convolutions on accelerators too (TF32 would miss these tolerances)."""
  with jax.default_matmul_precision("highest"):
    yield


def write_keras_h5(h5py, path, layers, legacy_names: bool):
  """Keras's layer-per-group layout; weight names of the 2016 release or of Keras 2."""
  with h5py.File(path, "w") as f:
    names = ["input_1"] + [n for n in layers] + ["block5_pool"]
    f.attrs["layer_names"] = [n.encode() for n in names]
    for name in names:
      group = f.create_group(name)
      if name not in layers:
        group.attrs["weight_names"] = []
        continue
      wnames = ([f"{name}_W_1:0", f"{name}_b_1:0"] if legacy_names
                else [f"{name}/kernel:0", f"{name}/bias:0"])
      group.attrs["weight_names"] = [n.encode() for n in wnames]
      for wname, value in zip(wnames, layers[name]):
        group.create_dataset(wname, data=value)


@pytest.mark.parametrize("legacy_names", [True, False])
def test_convert_keras_h5(tmp_path, legacy_names):
  h5py = pytest.importorskip("h5py", reason="Keras .h5 files are read with h5py")
  rng = np.random.default_rng(0)
  write_keras_h5(h5py, tmp_path / "vgg19.h5", helpers.random_keras(rng), legacy_names)
  out = tool.main([f"--convert={tmp_path / 'vgg19.h5'}", f"--out={tmp_path / 'vgg19.npz'}"])
  assert out == tmp_path / "vgg19.npz"
  model, variables = vgg.load_vgg(out, last="conv1_1")
  image = rng.uniform(size=(5, 7, 3)).astype(np.float32)
  got = np.asarray(model.apply(variables, image[None])["conv1_1"][0])
  with h5py.File(tmp_path / "vgg19.h5") as f:  # the raw file's own numbers
    kernel = f["block1_conv1"][f["block1_conv1"].attrs["weight_names"][0]][()]
    bias = f["block1_conv1"][f["block1_conv1"].attrs["weight_names"][1]][()]
  x = image[..., ::-1] * 255.0 - np.array(vgg.CAFFE_MEAN_RGB[::-1])
  np.testing.assert_allclose(got, helpers.np_conv3x3(x, kernel, bias), rtol=1e-4, atol=2e-3)


@pytest.mark.torch
def test_convert_torchvision_pth(tmp_path, monkeypatch):
  torch = pytest.importorskip("torch", reason="[ci-step:torch] needs PyTorch")
  rng = np.random.default_rng(1)
  state = helpers.random_torchvision(19, rng)
  torch.save({k: torch.from_numpy(v) for k, v in state.items()}, tmp_path / "vgg19.pth")
  monkeypatch.setenv("SR_JAX_CACHE", str(tmp_path / "cache"))
  out = tool.main([f"--convert={tmp_path / 'vgg19.pth'}"])
  assert out == tmp_path / "cache" / "vgg19.npz"
  model, variables = vgg.load_vgg(last="conv1_1")  # the default (cache) path
  image = rng.uniform(size=(4, 6, 3)).astype(np.float32)
  got = np.asarray(model.apply(variables, image[None])["conv1_1"][0])
  raw = torch.load(tmp_path / "vgg19.pth")
  x = (image - np.array(vgg.IMAGENET_MEAN)) / np.array(vgg.IMAGENET_STD)
  want = helpers.np_conv3x3(x, raw["features.0.weight"].numpy().transpose(2, 3, 1, 0),
                            raw["features.0.bias"].numpy())
  np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def _torch_features(torch, layers, image):
  """Runs a torch nn.Sequential of ("conv", OIHW, bias, stride, pad) / ("pool", k, s) / "relu"."""
  F = torch.nn.functional
  x = torch.from_numpy(image.transpose(2, 0, 1)[None].copy())
  for layer in layers:
    if layer == "relu":
      x = F.relu(x)
    elif layer[0] == "pool":
      x = F.max_pool2d(x, layer[1], layer[2])
    else:
      x = F.conv2d(x, layer[1], layer[2], stride=layer[3], padding=layer[4])
  return x[0].numpy().transpose(1, 2, 0)


@pytest.mark.torch
def test_vgg19_end_to_end_against_torch(tmp_path):
  torch = pytest.importorskip("torch", reason="[ci-step:torch] needs PyTorch")
  rng = np.random.default_rng(3)
  state = {k: torch.from_numpy(v) for k, v in helpers.random_torchvision(19, rng).items()}
  torch.save(state, tmp_path / "vgg19.pth")
  model, variables = vgg.load_vgg(tool.main([f"--convert={tmp_path / 'vgg19.pth'}",
                                             f"--out={tmp_path / 'vgg19.npz'}"]), last="conv5_4")
  image = rng.uniform(size=(35, 33, 3)).astype(np.float32)  # odd sizes: floor pooling
  layers, index = [], 0
  for convs in vgg.BLOCKS[19]:
    for _ in range(convs):
      layers += [("conv", state[f"features.{index}.weight"], state[f"features.{index}.bias"], 1, 1),
                 "relu"]
      index += 2
    layers.append(("pool", 2, 2))
    index += 1
  normalised = (image - np.float32(vgg.IMAGENET_MEAN)) / np.float32(vgg.IMAGENET_STD)
  want = _torch_features(torch, layers[:-2], normalised.astype(np.float32))  # up to conv5_4
  got = np.asarray(model.apply(variables, image[None])["conv5_4"][0])
  assert got.shape == want.shape == (2, 2, 16)
  np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-3 * np.abs(want).max())


@pytest.mark.torch
def test_convert_lpips_alex(tmp_path):
  torch = pytest.importorskip("torch", reason="[ci-step:torch] needs PyTorch")
  rng = np.random.default_rng(2)
  backbone = {}
  for index, mult, k, _, _ in lpips.ALEX_CONVS:
    cin = 3 if index == 0 else backbone[f"features.{prev}.weight"].shape[0]
    backbone[f"features.{index}.weight"] = torch.randn(2 * mult, cin, k, k)
    backbone[f"features.{index}.bias"] = torch.randn(2 * mult)
    prev = index
  lin = {f"lin{i}.model.1.weight": torch.rand(1, 2 * m, 1, 1)
         for i, (_, m, *_) in enumerate(lpips.ALEX_CONVS)}
  torch.save(backbone, tmp_path / "alex_backbone.pth")
  torch.save(lin, tmp_path / "alex.pth")
  out = tool.main(["--lpips=alex", f"--convert={tmp_path / 'alex_backbone.pth'}",
                   f"--lin={tmp_path / 'alex.pth'}", f"--out={tmp_path / 'lpips_alex.npz'}"])
  model, variables = lpips.load_lpips("alex", out)
  assert model.width == 2
  np.testing.assert_array_equal(variables["params"]["lin2"]["kernel"][:, 0],
                                lin["lin2.model.1.weight"].numpy().ravel())
  np.testing.assert_array_equal(variables["params"]["backbone"]["conv2"]["kernel"],
                                backbone["features.3.weight"].numpy().transpose(2, 3, 1, 0))
  # torchvision AlexNet's features (strides, paddings, 3×3/2 pools) reproduced to relu5.
  layers = []
  for index, _, _, stride, pad in lpips.ALEX_CONVS:
    if index in (3, 6):
      layers.append(("pool", 3, 2))
    layers += [("conv", backbone[f"features.{index}.weight"], backbone[f"features.{index}.bias"],
                stride, pad), "relu"]
  image = rng.uniform(size=(67, 64, 3)).astype(np.float32)
  normalised = (image - np.float32(vgg.IMAGENET_MEAN)) / np.float32(vgg.IMAGENET_STD)
  want = _torch_features(torch, layers, normalised.astype(np.float32))
  got = lpips.AlexNet(width=2).apply({"params": variables["params"]["backbone"]}, image[None])
  np.testing.assert_allclose(got["relu5"][0], want, rtol=1e-4, atol=1e-4 * np.abs(want).max())


def test_arguments():
  with pytest.raises(SystemExit):
    tool.main([])
  with pytest.raises(SystemExit):
    tool.main(["--fetch", "--convert=x.pth"])
  with pytest.raises(SystemExit):
    tool.main(["--lpips=vgg", "--convert=x.pth"])  # no --lin
