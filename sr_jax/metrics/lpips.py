"""LPIPS v0.1 (Zhang et al. 2018) with VGG16 or AlexNet features, in Flax (NHWC).

LPIPS(x0, x1) = Σ_l mean_hw( w_l · (φ̂_l(x0) − φ̂_l(x1))² ), φ̂ the channel-unit-normalised
ReLU features of an ImageNet backbone and w_l ≥ 0 the learned linear weights. Inputs are RGB in
[0, 1]: the lpips package's ScalingLayer on [-1, 1] input is exactly the ImageNet mean/std
normalisation of [0, 1] input, which the backbones apply.

Weights (torchvision backbone + the lpips package's `weights/v0.1/{vgg,alex}.pth`) are converted
once to $SR_JAX_CACHE/lpips_{net}.npz (default ~/.cache/sr_jax/) by
`python -m sr_jax.tools.vgg --lpips=NET --fetch` (or `--convert=BACKBONE.pth --lin=LIN.pth`).
"""
import os
import pathlib
import re
from typing import Any

import flax.linen as nn
import jax.numpy as jnp
import numpy as np

from sr_jax.models.vgg import (IMAGENET_MEAN, IMAGENET_STD, VGG, cache_dir, from_torchvision,
                               split_flat)

LAYERS = {
    "vgg": ("relu1_2", "relu2_2", "relu3_3", "relu4_3", "relu5_3"),
    "alex": ("relu1", "relu2", "relu3", "relu4", "relu5"),
}
# torchvision AlexNet `features`: (index, relative width, kernel, stride, padding) per conv.
ALEX_CONVS = ((0, 1, 11, 4, 2), (3, 3, 5, 1, 2), (6, 6, 3, 1, 1), (8, 4, 3, 1, 1), (10, 4, 3, 1, 1))


class AlexNet(nn.Module):
  """torchvision's `alexnet().features` up to relu5; `width` 64 is the real net."""
  width: int = 64
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x) -> dict[str, jnp.ndarray]:
    x = (x - jnp.asarray(IMAGENET_MEAN, x.dtype)) / jnp.asarray(IMAGENET_STD, x.dtype)
    x = x.astype(self.dtype)
    feats = {}
    for i, (_, mult, k, stride, pad) in enumerate(ALEX_CONVS, 1):
      if i in (2, 3):
        x = nn.max_pool(x, (3, 3), strides=(2, 2))
      x = nn.relu(nn.Conv(self.width * mult, (k, k), stride, padding=pad, dtype=self.dtype,
                          name=f"conv{i}")(x))
      feats[f"relu{i}"] = x
    return feats


def _unit(f, eps: float = 1e-10):
  return f / (jnp.sqrt(jnp.sum(f * f, axis=-1, keepdims=True)) + eps)


class LPIPS(nn.Module):
  """Per-image distance (N,) between two (N, H, W, 3) batches in [0, 1]."""
  net: str = "vgg"
  width: int = 64
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x0, x1):
    if self.net == "vgg":
      backbone = VGG(depth=16, last="relu5_3", width=self.width, dtype=self.dtype, name="backbone")
    else:
      backbone = AlexNet(width=self.width, dtype=self.dtype, name="backbone")
    n = x0.shape[0]
    feats = backbone(jnp.concatenate([x0, x1]))
    total = jnp.zeros((n,), jnp.float32)
    for i, name in enumerate(LAYERS[self.net]):
      f = _unit(feats[name].astype(jnp.float32))
      d = nn.Dense(1, use_bias=False, name=f"lin{i}")((f[:n] - f[n:]) ** 2)
      total = total + jnp.mean(d, axis=(1, 2, 3))
    return total


def default_path(net: str) -> pathlib.Path:
  return cache_dir() / f"lpips_{net}.npz"


def convert(net: str, backbone: dict[str, np.ndarray], lin: dict[str, np.ndarray]
            ) -> dict[str, np.ndarray]:
  """torchvision backbone + lpips `linL.model.K.weight` (1, C, 1, 1) → flat Flax arrays."""
  flat = {}
  if net == "vgg":
    flat.update({f"backbone/{k}": v for k, v in from_torchvision(backbone, 16).items() if "/" in k})
  else:
    for i, (index, *_) in enumerate(ALEX_CONVS, 1):
      flat[f"backbone/conv{i}/kernel"] = np.asarray(
          backbone[f"features.{index}.weight"]).transpose(2, 3, 1, 0)
      flat[f"backbone/conv{i}/bias"] = np.asarray(backbone[f"features.{index}.bias"])
  for key, value in lin.items():
    if m := re.fullmatch(r"lin(\d)\.model\.\d+\.weight", key):
      flat[f"lin{m.group(1)}/kernel"] = np.asarray(value).reshape(1, -1).T
  if sum(k.startswith("lin") for k in flat) != len(LAYERS[net]):
    raise ValueError(f"expected {len(LAYERS[net])} lpips linear layers, found keys {sorted(lin)}")
  return flat


def load_lpips(net: str = "vgg", path: str | os.PathLike | None = None,
               dtype: Any = jnp.float32) -> tuple[LPIPS, dict]:
  """(module, {'params': ...}) from a converted .npz."""
  if net not in LAYERS:
    raise ValueError(f"unknown LPIPS net {net!r}; known: {', '.join(LAYERS)}")
  path = pathlib.Path(path) if path is not None else default_path(net)
  if not path.exists():
    raise FileNotFoundError(
        f"LPIPS-{net} weights not found at {path}; make them with: python -m sr_jax.tools.vgg "
        f"--lpips={net} --fetch (or --convert=BACKBONE.pth --lin=LIN.pth)")
  with np.load(path) as data:
    params, _ = split_flat(dict(data))
  first = params["backbone"]["conv1_1" if net == "vgg" else "conv1"]["kernel"]
  return LPIPS(net=net, width=first.shape[-1], dtype=dtype), {"params": params}
