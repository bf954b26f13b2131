"""EDSR (Lim et al. 2017): residual blocks without BatchNorm, global skip, sub-pixel tail.

The defaults are EDSR-baseline (16 blocks, 64 features); EDSR proper is
num_blocks=32, features=256, res_scale=0.1. The residual blocks' convolutions may be any of
common.CONV_TYPES (`conv`, `groups`, `dilation`; e.g. conv='grouped', groups=4 has a quarter of
their weights and multiply-adds); the default, a dense undilated 3×3, is the paper's.
"""
from typing import Any

import flax.linen as nn
import jax.numpy as jnp

from sr_jax.models import register
from sr_jax.models.common import (Conv, SubPixelUpsampler, chain, check_conv, make_conv, shift_mean,
                                  unroll_blocks)
from sr_jax.ops import imresize


class ResBlock(nn.Module):
  features: int
  res_scale: float = 1.0
  dtype: Any = jnp.float32
  conv: str = "standard"
  groups: int = 1
  dilation: int = 1

  @nn.compact
  def __call__(self, x):
    layer = lambda: make_conv(self.features, conv=self.conv, groups=self.groups,
                              dilation=self.dilation, dtype=self.dtype)
    y = layer()(x)
    y = layer()(nn.relu(y))
    return x + self.res_scale * y


@register("edsr")
class EDSR(nn.Module):
  scale: int = 2
  channels: int = 3
  num_blocks: int = 16
  features: int = 64
  res_scale: float = 1.0
  # Adds the bicubic-upsampled input to the output, with a zero-initialised tail: training
  # starts at the bicubic baseline, so tiny CPU runs (the quickstart) beat it in minutes.
  bicubic_skip: bool = False
  scan_mode: str = "auto"  # common.chain: params 'block' with a block axis; loop or unroll
  # The residual blocks' convolutions (common.make_conv); head, body end and tail stay dense.
  conv: str = "standard"
  groups: int = 1
  dilation: int = 1
  # Inputs (mean-shifted) are scaled to [0, img_range] inside, outputs back: 255 trains in the
  # references' pixel range (EDSR-PyTorch and RCAN's rgb_range, BasicSR's img_range), and loads
  # their weights as they are.
  img_range: float = 255.0
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, lr, train: bool = False):
    check_conv(self.conv, self.groups, self.dilation, self.features)
    x = (shift_mean(lr, -1.0, self.channels) * self.img_range).astype(self.dtype)
    x = Conv(self.features, (3, 3), dtype=self.dtype, name="head")(x)
    y = chain(lambda name: ResBlock(self.features, self.res_scale, self.dtype, self.conv,
                                    self.groups, self.dilation, name=name),
              self.num_blocks, "block", x, unroll=unroll_blocks(self.scan_mode, train))
    y = Conv(self.features, (3, 3), dtype=self.dtype, name="body_end")(y)
    x = x + y
    x = SubPixelUpsampler(self.scale, self.features, self.dtype, name="upsample")(x)
    tail_init = nn.initializers.zeros if self.bicubic_skip else nn.initializers.lecun_normal()
    x = Conv(self.channels, (3, 3), dtype=self.dtype, kernel_init=tail_init,
             name="tail")(x).astype(jnp.float32) / self.img_range
    if self.bicubic_skip:
      return x + imresize.resize_jax(lr, self.scale)
    return shift_mean(x, 1.0, self.channels)
