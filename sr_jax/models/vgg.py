"""VGG16/19 feature extractors (NHWC) for perceptual losses and LPIPS, and their weights.

The model always takes RGB in [0, 1] and returns every named feature up to `last`:
`convB_I` (before ReLU, what ESRGAN's loss uses), `reluB_I` and `poolB`. Pretrained weights
are converted once into an .npz of Flax params (`name/kernel` HWIO, `name/bias`) plus the
input normalisation of their source, applied as (x - mean) / std:
- torchvision: RGB, ImageNet mean/std of [0, 1] input.
- Keras/Caffe: BGR, 0..255 minus the Caffe mean. The BGR flip is folded into conv1_1 and the
  rest kept as mean = Caffe mean / 255, std = 1/255, so zero padding stays where Keras has it
  and the features match Keras's exactly (folding the mean into the bias would not, at the
  borders).
Default location: $SR_JAX_CACHE/vgg19.npz, else ~/.cache/sr_jax/vgg19.npz; make it with
`python -m sr_jax.tools.vgg --fetch` or `--convert=FILE`.

`VGGClassifier` is torchvision's whole `vgg19()` (features, 7×7 adaptive average pool,
classifier), for task-based evaluation (sr_jax.metrics.tasks). Its weights are a separate file,
imagenet_vgg19.npz beside vgg19.npz (`--classifier`): the classifier's 120 M weights would
otherwise be read by every perceptual-loss run.
"""
import os
import pathlib
import re
from typing import Any

import flax.linen as nn
import jax.numpy as jnp
import numpy as np
from flax import traverse_util

from sr_jax.data.degradations import area_matrix
from sr_jax.models.common import Conv

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# Caffe VGG's BGR channel means on 0..255, listed here in RGB order.
CAFFE_MEAN_RGB = (123.68, 116.779, 103.939)
# Convolutions per block.
BLOCKS = {16: (2, 2, 3, 3, 3), 19: (2, 2, 4, 4, 4)}
FETCH_COMMAND = "python -m sr_jax.tools.vgg --fetch"
FETCH_HINT = f"{FETCH_COMMAND} (or --convert=FILE with a local .pth/.h5)"
CLASSIFIER_HINT = f"{FETCH_COMMAND} --classifier (or --classifier --convert=vgg19-dcbb9e9d.pth)"


def layer_names(depth: int = 19) -> list[str]:
  names = []
  for block, convs in enumerate(BLOCKS[depth], 1):
    for i in range(1, convs + 1):
      names += [f"conv{block}_{i}", f"relu{block}_{i}"]
    names.append(f"pool{block}")
  return names


def conv_names(depth: int = 19) -> list[str]:
  return [n for n in layer_names(depth) if n.startswith("conv")]


class VGG(nn.Module):
  """torchvision's `vgg{16,19}().features`; `width` scales the channels (64 → tiny test nets)."""
  depth: int = 19
  last: str = "conv5_4"
  width: int = 64
  mean: tuple[float, ...] = IMAGENET_MEAN
  std: tuple[float, ...] = IMAGENET_STD
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x) -> dict[str, jnp.ndarray]:
    names = layer_names(self.depth)
    if self.last not in names:
      raise ValueError(f"unknown VGG{self.depth} layer {self.last!r}; known: {', '.join(names)}")
    x = (x - jnp.asarray(self.mean, x.dtype)) / jnp.asarray(self.std, x.dtype)
    x = x.astype(self.dtype)
    feats = {}
    for name in names[:names.index(self.last) + 1]:
      if name.startswith("conv"):
        block = int(name[4])
        x = Conv(self.width * min(2 ** (block - 1), 8), (3, 3), padding=1, dtype=self.dtype,
                 name=name)(x)
      elif name.startswith("relu"):
        x = nn.relu(x)
      else:
        x = nn.max_pool(x, (2, 2), strides=(2, 2))
      feats[name] = x
    return feats


class VGGClassifier(nn.Module):
  """torchvision's `vgg{16,19}()` in eval mode: `features` (a `VGG` to pool5), 7×7 adaptive
  average pool, flatten in PyTorch's (C, H, W) order, fc6 → ReLU → fc7 → ReLU → fc8 logits
  (dropout is the identity at evaluation). `width` and `hidden` shrink it for tests."""
  depth: int = 19
  width: int = 64
  hidden: int = 4096
  classes: int = 1000
  mean: tuple[float, ...] = IMAGENET_MEAN
  std: tuple[float, ...] = IMAGENET_STD

  @nn.compact
  def __call__(self, x) -> jnp.ndarray:
    x = VGG(self.depth, "pool5", self.width, self.mean, self.std, name="features")(x)["pool5"]
    # AdaptiveAvgPool2d(7): torch's adaptive average pooling is its 'area' resize.
    rows, cols = (area_matrix(n, 7).astype(np.float32) for n in x.shape[1:3])
    x = jnp.einsum("oh,pw,nhwc->nopc", rows, cols, x, precision="highest")
    x = x.transpose(0, 3, 1, 2).reshape(x.shape[0], -1)
    x = nn.relu(nn.Dense(self.hidden, name="fc6")(x))
    x = nn.relu(nn.Dense(self.hidden, name="fc7")(x))
    return nn.Dense(self.classes, name="fc8")(x)


def cache_dir() -> pathlib.Path:
  return pathlib.Path(os.environ.get("SR_JAX_CACHE", "~/.cache/sr_jax")).expanduser()


def default_path() -> pathlib.Path:
  return cache_dir() / "vgg19.npz"


def classifier_path() -> pathlib.Path:
  return cache_dir() / "imagenet_vgg19.npz"


def from_torchvision(state_dict: dict[str, np.ndarray], depth: int = 19) -> dict[str, np.ndarray]:
  """torchvision `features.N.weight` (OIHW) / `.bias` → flat Flax arrays with ImageNet norm.

  The convolutions of `features` are numbered in order; classifier keys are ignored.
  """
  indices = sorted({int(m.group(1)) for k in state_dict
                    if (m := re.fullmatch(r"features\.(\d+)\.weight", k))})
  names = conv_names(depth)
  if len(indices) != len(names):
    raise ValueError(f"expected {len(names)} convolutions for VGG{depth}, found {len(indices)}")
  flat = {}
  for name, i in zip(names, indices):
    flat[f"{name}/kernel"] = np.asarray(state_dict[f"features.{i}.weight"]).transpose(2, 3, 1, 0)
    flat[f"{name}/bias"] = np.asarray(state_dict[f"features.{i}.bias"])
  flat["mean"] = np.asarray(IMAGENET_MEAN, np.float32)
  flat["std"] = np.asarray(IMAGENET_STD, np.float32)
  return flat


def classifier_from_torchvision(state_dict: dict[str, np.ndarray],
                                depth: int = 19) -> dict[str, np.ndarray]:
  """A whole torchvision `vgg{16,19}` state_dict → flat arrays of `VGGClassifier`:
  `features/<conv>/…` as `from_torchvision`, `classifier.{0,3,6}` (out × in) → fc6-8 kernels
  (in × out)."""
  missing = [f"classifier.{i}.weight" for i in (0, 3, 6) if f"classifier.{i}.weight" not in
             state_dict]
  if missing:
    raise ValueError(f"no classifier layers ({', '.join(missing)}): a features-only file "
                     "cannot classify")
  flat = {(f"features/{k}" if "/" in k else k): v
          for k, v in from_torchvision(state_dict, depth).items()}
  for name, i in (("fc6", 0), ("fc7", 3), ("fc8", 6)):
    flat[f"{name}/kernel"] = np.asarray(state_dict[f"classifier.{i}.weight"]).T
    flat[f"{name}/bias"] = np.asarray(state_dict[f"classifier.{i}.bias"])
  return flat


def from_keras(layers: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, np.ndarray]:
  """Keras VGG19 `blockB_convI` → (HWIO kernel, bias) → flat Flax arrays with Caffe norm."""
  flat = {}
  for name in conv_names(19):
    block, i = name[4:].split("_")
    kernel, bias = layers[f"block{block}_conv{i}"]
    kernel = np.asarray(kernel)
    if name == "conv1_1":
      kernel = kernel[:, :, ::-1, :]  # input channels BGR → RGB
    flat[f"{name}/kernel"] = np.ascontiguousarray(kernel)
    flat[f"{name}/bias"] = np.asarray(bias)
  flat["mean"] = np.asarray(CAFFE_MEAN_RGB, np.float32) / 255.0
  flat["std"] = np.full(3, 1 / 255.0, np.float32)
  return flat


def split_flat(flat: dict[str, np.ndarray]) -> tuple[dict, dict[str, np.ndarray]]:
  """Flat npz arrays → (nested Flax params, the other top-level arrays)."""
  params = {k: jnp.asarray(v) for k, v in flat.items() if "/" in k}
  extra = {k: np.asarray(v) for k, v in flat.items() if "/" not in k}
  return traverse_util.unflatten_dict(params, sep="/"), extra


def _read(path: pathlib.Path, what: str, hint: str) -> tuple[dict, dict]:
  """(nested params, {'mean', 'std'} as tuples) of a converted .npz; a missing file raises one
  line naming it and the command that makes it."""
  if not path.exists():
    raise FileNotFoundError(f"{what} not found at {path}; make them with: {hint}")
  with np.load(path) as data:
    params, extra = split_flat(dict(data))
  return params, {k: tuple(float(v) for v in extra[k]) for k in ("mean", "std")}


def load_vgg(path: str | os.PathLike | None = None, last: str = "conv5_4",
             dtype: Any = jnp.float32) -> tuple[VGG, dict]:
  """(module, {'params': ...}) from a converted .npz; depth and width come from the file."""
  params, norm = _read(pathlib.Path(path) if path is not None else default_path(),
                       "VGG weights", FETCH_HINT)
  depth = 19 if "conv5_4" in params else 16
  model = VGG(depth=depth, last=last, width=params["conv1_1"]["kernel"].shape[-1], dtype=dtype,
              **norm)
  return model, {"params": params}


def load_classifier(path: str | os.PathLike | None = None) -> tuple[VGGClassifier, dict]:
  """(module, {'params': ...}) from a `classifier_from_torchvision` .npz; depth, width, hidden
  size and classes come from the file."""
  path = pathlib.Path(path) if path is not None else classifier_path()
  params, norm = _read(path, "VGG19 classifier weights", CLASSIFIER_HINT)
  if "fc8" not in params:
    raise ValueError(f"{path}: no fc6-fc8 layers (a features-only VGG file?); make it with: "
                     f"{CLASSIFIER_HINT}")
  model = VGGClassifier(depth=19 if "conv5_4" in params["features"] else 16,
                        width=params["features"]["conv1_1"]["kernel"].shape[-1],
                        hidden=params["fc6"]["kernel"].shape[-1],
                        classes=params["fc8"]["kernel"].shape[-1], **norm)
  return model, {"params": params}
