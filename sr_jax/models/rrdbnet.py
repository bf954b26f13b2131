"""RRDBNet (Wang et al. 2018, ESRGAN's generator): residual-in-residual dense blocks."""
from typing import Any

import flax.linen as nn
import jax.numpy as jnp

from sr_jax.models import register
from sr_jax.models import common
from sr_jax.models.common import Conv, chain, unroll_blocks, upsample_factors
from sr_jax.models.srresnet import kaiming_scaled


def _lrelu(x):
  return nn.leaky_relu(x, 0.2)


class DenseBlock(nn.Module):
  """Five densely connected 3×3 convolutions; the output is scaled by `res_scale` and
  added to the input. Kernels start at 0.1× Kaiming as in BasicSR."""
  features: int
  growth: int
  res_scale: float
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x):
    feats = [x]
    for i in range(4):
      y = Conv(self.growth, (3, 3), dtype=self.dtype, kernel_init=kaiming_scaled,
               name=f"conv{i + 1}")(jnp.concatenate(feats, -1))
      feats.append(_lrelu(y))
    y = Conv(self.features, (3, 3), dtype=self.dtype, kernel_init=kaiming_scaled,
             name="conv5")(jnp.concatenate(feats, -1))
    return x + self.res_scale * y


class RRDB(nn.Module):
  features: int
  growth: int
  res_scale: float
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x):
    y = x
    for i in range(3):
      y = DenseBlock(self.features, self.growth, self.res_scale, self.dtype, name=f"rdb{i + 1}")(y)
    return x + self.res_scale * y


def _nearest(x, factor):
  return jnp.repeat(jnp.repeat(x, factor, axis=1), factor, axis=2)


@register("rrdbnet")
class RRDBNet(nn.Module):
  """conv_first, 23 RRDBs + conv_body with a long skip, then nearest-neighbour ×f + conv +
  LeakyReLU(0.2) per stage, conv_hr, conv_last (ESRGAN's ×4 layout: two ×2 stages).

  Other scales use one stage per factor (×2: one, ×3: one ×3 stage, ×8: three), unless
  `pixel_unshuffle`: then, as BasicSR and Real-ESRGAN (RealESRGAN_x2plus) do, a ×2 model
  pixel-unshuffles its input by 2 (a ×1 model by 4) and keeps the two ×2 stages, so its
  conv_first takes 4× (16×) the channels.
  """
  scale: int = 4
  channels: int = 3
  num_blocks: int = 23
  features: int = 64
  growth: int = 32
  res_scale: float = 0.2
  scan_mode: str = "auto"  # common.chain: params 'rrdb' with a block axis; loop or unroll
  pixel_unshuffle: bool = False  # BasicSR's ×2 layout (see above)
  dtype: Any = jnp.float32

  @property
  def size_multiple(self) -> int:
    """The LR sides must be multiples of this: the pixel-unshuffle factor."""
    return 4 // self.scale if self.pixel_unshuffle else 1

  @nn.compact
  def __call__(self, lr, train: bool = False):
    conv = lambda width, name: Conv(width, (3, 3), dtype=self.dtype, name=name)
    x = lr.astype(self.dtype)
    factors = upsample_factors(self.scale) if self.scale > 1 else ()
    if self.pixel_unshuffle:
      if self.scale not in (1, 2):
        raise ValueError(f"rrdbnet: pixel_unshuffle is BasicSR's ×1/×2 layout, not ×{self.scale}")
      x, factors = common.pixel_unshuffle(x, 4 // self.scale), (2, 2)
    x = conv(self.features, "conv_first")(x)
    y = chain(lambda name: RRDB(self.features, self.growth, self.res_scale, self.dtype, name=name),
              self.num_blocks, "rrdb", x, unroll=unroll_blocks(self.scan_mode, train))
    x = x + conv(self.features, "conv_body")(y)
    for i, factor in enumerate(factors):
      x = _lrelu(conv(self.features, f"conv_up{i + 1}")(_nearest(x, factor)))
    x = conv(self.channels, "conv_last")(_lrelu(conv(self.features, "conv_hr")(x)))
    return x.astype(jnp.float32)
