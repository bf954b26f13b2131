"""CARN and CARN-M (Ahn, Kang, Sohn, "Fast, Accurate, and Lightweight Super-Resolution with
Cascading Residual Network", ECCV 2018; official code nmhkahn/CARN-pytorch, `carn/model/`).

Cascading: every block's output is concatenated with everything before it and fused by a 1×1
conv + ReLU, locally (residual units inside a cascading block) and globally (cascading blocks
inside the network); entry 3×3 conv, sub-pixel upsampler (conv → ReLU → shuffle per stage),
exit 3×3 conv; the DIV2K mean removed and restored on the [0, 1] input.

CARN-M, the mobile variant, makes each residual unit "efficient" (residual-E: grouped 3×3 →
ReLU → grouped 3×3 → ReLU → 1×1, 4 groups) and, as the official code does, calls one such unit
three times inside each cascading block (shared weights, a recursive block); its upsampler's
convolutions are grouped too.

The paper's models are multi-scale (trained with `--scale 0`): one body with ×2, ×3 and ×4
upsamplers, and the paper's counts (1,592K, 412K) include all three. `multi_scale=True` (the
default) holds the three, as the released checkpoints do, and runs the one for `scale`; the
other two stay untrained when one scale is trained here. `multi_scale=False` keeps only it.
"""
from typing import Any

import flax.linen as nn
import jax.numpy as jnp

from sr_jax.models import register
from sr_jax.models.common import Conv, SubPixelUpsampler, shift_mean

MULTI_SCALES = (2, 3, 4)


class ResidualUnit(nn.Module):
  """relu(x + conv(relu(conv(x)))): CARN's residual block."""
  features: int
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x):
    y = nn.relu(Conv(self.features, (3, 3), dtype=self.dtype)(x))
    return nn.relu(x + Conv(self.features, (3, 3), dtype=self.dtype)(y))


class EfficientResidualUnit(nn.Module):
  """relu(x + 1×1(relu(gconv(relu(gconv(x)))))): CARN-M's residual-E block, grouped 3×3s."""
  features: int
  groups: int
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x):
    grouped = lambda: Conv(self.features, (3, 3), feature_group_count=self.groups,
                           dtype=self.dtype)
    y = nn.relu(grouped()(x))
    y = nn.relu(grouped()(y))
    return nn.relu(x + Conv(self.features, (1, 1), dtype=self.dtype)(y))


def cascade(x, units, features: int, dtype) -> jnp.ndarray:
  """x through `units` in turn, each output concatenated with x and every earlier output and
  fused back to `features` by a 1×1 conv + ReLU (named c1, c2, …) before the next unit."""
  concat = x
  for i, unit in enumerate(units):
    concat = jnp.concatenate([concat, unit(x)], axis=-1)
    x = nn.relu(Conv(features, (1, 1), dtype=dtype, name=f"c{i + 1}")(concat))
  return x


class CascadingBlock(nn.Module):
  """Local cascade over `num_units` residual units (b1, b2, …); CARN-M: one residual-E unit,
  b1, called `num_units` times."""
  features: int
  num_units: int
  efficient: bool
  groups: int
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x):
    if self.efficient:
      shared = EfficientResidualUnit(self.features, self.groups, self.dtype, name="b1")
      units = [shared] * self.num_units
    else:
      units = [ResidualUnit(self.features, self.dtype, name=f"b{i + 1}")
               for i in range(self.num_units)]
    return cascade(x, units, self.features, self.dtype)


@register("carn")
class CARN(nn.Module):
  """Global cascade over `num_blocks` cascading blocks (b1, b2, …) of `num_units` units."""
  scale: int = 2
  channels: int = 3
  features: int = 64
  num_blocks: int = 3
  num_units: int = 3
  multi_scale: bool = True  # ×2, ×3 and ×4 upsamplers (the paper's model), as up2/up3/up4
  efficient: bool = False  # residual-E units shared within a block (CARN-M)
  groups: int = 1  # of the residual-E units' 3×3 convolutions, and of the upsampler's
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, lr, train: bool = False):
    if self.multi_scale and self.scale not in MULTI_SCALES:
      raise ValueError(f"scale {self.scale}: a multi-scale CARN has ×2, ×3 and ×4 upsamplers; "
                       "set multi_scale=False for another scale")
    x = shift_mean(lr, -1.0, self.channels).astype(self.dtype)
    x = Conv(self.features, (3, 3), dtype=self.dtype, name="entry")(x)
    blocks = [CascadingBlock(self.features, self.num_units, self.efficient, self.groups,
                             self.dtype, name=f"b{i + 1}") for i in range(self.num_blocks)]
    x = cascade(x, blocks, self.features, self.dtype)
    upsampler = lambda s, name: SubPixelUpsampler(s, self.features, self.dtype,
                                                  activation=nn.relu, groups=self.groups,
                                                  name=name)
    if self.multi_scale:
      if self.is_initializing():  # the other scales' upsamplers get their parameters
        for s in MULTI_SCALES:
          if s != self.scale:
            upsampler(s, f"up{s}")(x)
      x = upsampler(self.scale, f"up{self.scale}")(x)
    else:
      x = upsampler(self.scale, "up")(x)
    x = Conv(self.channels, (3, 3), dtype=self.dtype, name="exit")(x)
    return shift_mean(x.astype(jnp.float32), 1.0, self.channels)


@register("carn_m")
class CARNM(CARN):
  """CARN-M: CARN with shared residual-E units and 4-group convolutions (the official
  `--model carn_m --group 4`)."""
  efficient: bool = True
  groups: int = 4
