"""SRCNN (Dong et al. 2014): bicubic upsampling, then three convolutions (9-1-5 by default)."""
from typing import Any, Sequence

import flax.linen as nn
import jax.numpy as jnp

from sr_jax.models import register
from sr_jax.ops import imresize
from sr_jax.models.common import Conv


@register("srcnn")
class SRCNN(nn.Module):
  """Pre-upsampling: the LR input is enlarged with MATLAB bicubic first.

  'VALID' convolutions shrink the output in the paper; here 'SAME' padding keeps the
  output at the HR size so that every model shares one loss and one evaluation.
  """
  scale: int = 2
  channels: int = 3
  features: Sequence[int] = (64, 32)
  kernel_sizes: Sequence[int] = (9, 1, 5)
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, lr, train: bool = False):
    x = imresize.resize_jax(lr, self.scale).astype(self.dtype)
    for width, k in zip(self.features, self.kernel_sizes[:-1]):
      x = nn.relu(Conv(width, (k, k), dtype=self.dtype)(x))
    k = self.kernel_sizes[-1]
    return Conv(self.channels, (k, k), dtype=self.dtype)(x).astype(jnp.float32)
