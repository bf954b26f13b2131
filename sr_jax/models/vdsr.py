"""VDSR (Kim et al. 2016): 20 plain 3×3 convolutions learning the residual over bicubic."""
from typing import Any

import flax.linen as nn
import jax.numpy as jnp

from sr_jax.models import register
from sr_jax.ops import imresize
from sr_jax.models.common import Conv


@register("vdsr")
class VDSR(nn.Module):
  """Pre-upsampling with a global residual: the convolutions only predict HR − bicubic(LR).

  The bicubic image and the sum stay in float32, so a bfloat16 body loses no precision
  on the (dominant) low-frequency part of the output.
  """
  scale: int = 2
  channels: int = 3
  depth: int = 20
  features: int = 64
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, lr, train: bool = False):
    up = imresize.resize_jax(lr, self.scale)
    x = up.astype(self.dtype)
    for i in range(self.depth - 1):
      x = nn.relu(Conv(self.features, (3, 3), dtype=self.dtype, name=f"conv_{i}")(x))
    x = Conv(self.channels, (3, 3), dtype=self.dtype, name=f"conv_{self.depth - 1}")(x)
    return up + x.astype(jnp.float32)
