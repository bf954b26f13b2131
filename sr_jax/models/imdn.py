"""IMDN (Hui, Gao, Yang, Wang, "Lightweight Image Super-Resolution with Information
Multi-distillation Network", ACM MM 2019; official code Zheng222/IMDN, `model/architecture.py`
and `model/block.py`).

Information multi-distillation block (IMDB): four 3×3 convolutions in a row, each of the first
three splitting its output into a distilled quarter (kept) and the rest (refined further); the
four distilled parts are concatenated, reweighted by contrast-aware channel attention (CCA: the
sigmoid gate of RCAN's channel attention, fed with each channel's standard deviation plus mean
instead of the mean alone) and fused by a 1×1 conv, plus the block's input. The network: 3×3
conv, six IMDBs whose outputs are all concatenated and fused (1×1 + LeakyReLU 0.05), a 3×3 conv
with a long skip, and one conv → pixel shuffle by the whole scale. [0, 1] input, no mean shift.
"""
from typing import Any

import flax.linen as nn
import jax.numpy as jnp

from sr_jax.models import register
from sr_jax.models.common import Conv, pixel_shuffle

_SLOPE = 0.05  # the official LeakyReLU's negative slope


def _lrelu(x):
  return nn.leaky_relu(x, _SLOPE)


def channel_std(x: jnp.ndarray) -> jnp.ndarray:
  """Per-image, per-channel standard deviation over the pixels (population variance), as the
  official `stdv_channels`. The gradient of a constant channel's zero deviation is taken as 0
  where the official square root gives NaN; the value is the same."""
  var = jnp.var(x, axis=(1, 2), keepdims=True)
  positive = var > 0
  return jnp.where(positive, jnp.sqrt(jnp.where(positive, var, 1.0)), 0.0)


class ContrastChannelAttention(nn.Module):
  """x · sigmoid(1×1 up(relu(1×1 down(std(x) + mean(x))))), down by `reduction`."""
  features: int
  reduction: int = 16
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x):
    y = channel_std(x) + jnp.mean(x, axis=(1, 2), keepdims=True)
    y = nn.relu(Conv(self.features // self.reduction, (1, 1), dtype=self.dtype)(y))
    return x * nn.sigmoid(Conv(self.features, (1, 1), dtype=self.dtype)(y))


class IMDB(nn.Module):
  """c1…c4 3×3 with the distillation splits, CCA, c5 1×1, plus the input."""
  features: int
  distillation_rate: float = 0.25
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x):
    distilled = int(self.features * self.distillation_rate)
    conv = lambda n, name: Conv(n, (3, 3), dtype=self.dtype, name=name)
    kept, y = [], x
    for i in range(3):
      out = _lrelu(conv(self.features, f"c{i + 1}")(y))
      kept.append(out[..., :distilled])
      y = out[..., distilled:]
    kept.append(conv(distilled, "c4")(y))
    y = ContrastChannelAttention(distilled * 4, dtype=self.dtype, name="cca")(
        jnp.concatenate(kept, axis=-1))
    return x + Conv(self.features, (1, 1), dtype=self.dtype, name="c5")(y)


@register("imdn")
class IMDN(nn.Module):
  scale: int = 2
  channels: int = 3
  features: int = 64
  num_modules: int = 6
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, lr, train: bool = False):
    x = Conv(self.features, (3, 3), dtype=self.dtype, name="fea_conv")(lr.astype(self.dtype))
    outs, y = [], x
    for i in range(self.num_modules):
      y = IMDB(self.features, dtype=self.dtype, name=f"imdb_{i}")(y)
      outs.append(y)
    y = _lrelu(Conv(self.features, (1, 1), dtype=self.dtype, name="fuse")(
        jnp.concatenate(outs, axis=-1)))
    y = x + Conv(self.features, (3, 3), dtype=self.dtype, name="lr_conv")(y)
    y = Conv(self.channels * self.scale**2, (3, 3), dtype=self.dtype, name="upsampler")(y)
    return pixel_shuffle(y, self.scale).astype(jnp.float32)
