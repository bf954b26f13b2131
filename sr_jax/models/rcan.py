"""RCAN (Zhang et al. 2018): residual-in-residual groups of channel-attention blocks."""
from typing import Any

import flax.linen as nn
import jax.numpy as jnp

from sr_jax.models import register
from sr_jax.models.common import Conv, SubPixelUpsampler, chain, shift_mean, unroll_blocks


class ChannelAttention(nn.Module):
  """Squeeze (global average) → 1×1 down by `reduction` → ReLU → 1×1 up → sigmoid gate."""
  features: int
  reduction: int
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x):
    y = jnp.mean(x, axis=(1, 2), keepdims=True)
    y = nn.relu(Conv(self.features // self.reduction, (1, 1), dtype=self.dtype)(y))
    y = nn.sigmoid(Conv(self.features, (1, 1), dtype=self.dtype)(y))
    return x * y


class RCAB(nn.Module):
  features: int
  reduction: int
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x):
    y = nn.relu(Conv(self.features, (3, 3), dtype=self.dtype)(x))
    y = Conv(self.features, (3, 3), dtype=self.dtype)(y)
    return x + ChannelAttention(self.features, self.reduction, self.dtype)(y)


class ResidualGroup(nn.Module):
  features: int
  num_blocks: int
  reduction: int
  unroll: bool = False  # common.chain over the RCABs
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x):
    y = chain(lambda name: RCAB(self.features, self.reduction, self.dtype, name=name),
              self.num_blocks, "rcab", x, unroll=self.unroll)
    return x + Conv(self.features, (3, 3), dtype=self.dtype, name="end")(y)


@register("rcan")
class RCAN(nn.Module):
  """Head conv, residual groups (each with its own skip) plus a conv and a long skip,
  sub-pixel upsampler, tail conv; DIV2K mean removed and restored as in EDSR."""
  scale: int = 2
  channels: int = 3
  num_groups: int = 10
  num_blocks: int = 20
  features: int = 64
  reduction: int = 16
  scan_mode: str = "auto"  # common.chain over groups, and over the RCABs of a group
  # Inputs (mean-shifted) are scaled to [0, img_range] inside, outputs back: 255 trains in the
  # references' pixel range (EDSR-PyTorch and RCAN's rgb_range, BasicSR's img_range), and loads
  # their weights as they are.
  img_range: float = 255.0
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, lr, train: bool = False):
    x = (shift_mean(lr, -1.0, self.channels) * self.img_range).astype(self.dtype)
    x = Conv(self.features, (3, 3), dtype=self.dtype, name="head")(x)
    unroll = unroll_blocks(self.scan_mode, train)
    y = chain(lambda name: ResidualGroup(self.features, self.num_blocks, self.reduction, unroll,
                                         self.dtype, name=name),
              self.num_groups, "group", x, unroll=unroll)
    x = x + Conv(self.features, (3, 3), dtype=self.dtype, name="body_end")(y)
    x = SubPixelUpsampler(self.scale, self.features, self.dtype, name="upsample")(x)
    x = Conv(self.channels, (3, 3), dtype=self.dtype, name="tail")(x)
    return shift_mean(x.astype(jnp.float32) / self.img_range, 1.0, self.channels)
