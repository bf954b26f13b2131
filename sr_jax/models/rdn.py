"""RDN (Zhang et al. 2018): residual dense blocks, global feature fusion, sub-pixel tail."""
from typing import Any

import flax.linen as nn
import jax.numpy as jnp

from sr_jax.models import register
from sr_jax.models.common import Conv, SubPixelUpsampler, shift_mean


class RDB(nn.Module):
  """C densely connected conv-ReLU layers (growth G), 1×1 local fusion, local residual."""
  features: int
  growth: int
  num_layers: int
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x):
    feats = [x]
    for _ in range(self.num_layers):
      y = Conv(self.growth, (3, 3), dtype=self.dtype)(jnp.concatenate(feats, -1))
      feats.append(nn.relu(y))
    return x + Conv(self.features, (1, 1), dtype=self.dtype)(jnp.concatenate(feats, -1))


@register("rdn")
class RDN(nn.Module):
  """D RDBs of C layers; their outputs are concatenated and fused (1×1 then 3×3), plus a
  global skip from the first shallow features. Defaults are the paper's D16 C8 G64, G0 64.
  """
  scale: int = 2
  channels: int = 3
  num_blocks: int = 16  # D
  num_layers: int = 8  # C
  growth: int = 64  # G
  features: int = 64  # G0
  # Inputs (mean-shifted) are scaled to [0, img_range] inside, outputs back: 255 trains in the
  # reference's pixel range (RDN's Torch code, EDSR-PyTorch's rgb_range).
  img_range: float = 255.0
  # Subtract the DIV2K mean at the input and add it back at the output. EDSR-PyTorch's RDN
  # (src/model/rdn.py) has no mean shift: its weights need mean_shift=False (the zero padding
  # of SFENet1 tells the two apart at the borders, so no bias change could make up for it).
  mean_shift: bool = True
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, lr, train: bool = False):
    shift = lambda y, sign: shift_mean(y, sign, self.channels) if self.mean_shift else y
    x = (shift(lr, -1.0) * self.img_range).astype(self.dtype)
    f1 = Conv(self.features, (3, 3), dtype=self.dtype, name="sfe1")(x)
    x = Conv(self.features, (3, 3), dtype=self.dtype, name="sfe2")(f1)
    outs = []
    for i in range(self.num_blocks):
      x = RDB(self.features, self.growth, self.num_layers, self.dtype, name=f"rdb_{i}")(x)
      outs.append(x)
    x = Conv(self.features, (1, 1), dtype=self.dtype, name="gff_1x1")(jnp.concatenate(outs, -1))
    x = Conv(self.features, (3, 3), dtype=self.dtype, name="gff_3x3")(x)
    x = x + f1
    x = SubPixelUpsampler(self.scale, self.growth, self.dtype, name="upsample")(x)
    x = Conv(self.channels, (3, 3), dtype=self.dtype, name="tail")(x)
    return shift(x.astype(jnp.float32) / self.img_range, 1.0)
