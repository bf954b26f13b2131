"""FSRCNN (Dong et al. 2016): convolutions at LR size, then one 9×9 deconvolution to HR."""
from typing import Any

import flax.linen as nn
import jax.numpy as jnp

from sr_jax.models import register
from sr_jax.models.common import Conv, PReLU


@register("fsrcnn")
class FSRCNN(nn.Module):
  """Feature extraction (5×5, d) → shrinking (1×1, s) → m mapping layers (3×3, s) →
  expanding (1×1, d) → deconvolution (9×9, stride `scale`).

  The deconvolution pads like PyTorch's ConvTranspose2d(padding=4, output_padding=scale-1),
  so the output is exactly (h·scale, w·scale) for every scale.
  """
  scale: int = 2
  channels: int = 3
  d: int = 56
  s: int = 12
  m: int = 4
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, lr, train: bool = False):
    x = lr.astype(self.dtype)
    x = PReLU()(Conv(self.d, (5, 5), dtype=self.dtype, name="extract")(x))
    x = PReLU()(Conv(self.s, (1, 1), dtype=self.dtype, name="shrink")(x))
    for i in range(self.m):
      x = PReLU()(Conv(self.s, (3, 3), dtype=self.dtype, name=f"map_{i}")(x))
    x = PReLU()(Conv(self.d, (1, 1), dtype=self.dtype, name="expand")(x))
    pad = (4, 4 + self.scale - 1)
    x = nn.ConvTranspose(self.channels, (9, 9), strides=(self.scale, self.scale),
                         padding=(pad, pad), dtype=self.dtype, name="deconv")(x)
    return x.astype(jnp.float32)
