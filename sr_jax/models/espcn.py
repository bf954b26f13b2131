"""ESPCN (Shi et al. 2016): convolutions at LR size, then one sub-pixel (pixel-shuffle) layer."""
from typing import Any, Sequence

import flax.linen as nn
import jax.numpy as jnp

from sr_jax.models import register
from sr_jax.models.common import Conv, pixel_shuffle


@register("espcn")
class ESPCN(nn.Module):
  """5-3-3 convolutions with tanh (the paper's choice over ReLU); the last one makes
  channels·scale² maps that a single pixel shuffle rearranges to the HR grid."""
  scale: int = 2
  channels: int = 3
  features: Sequence[int] = (64, 32)
  kernel_sizes: Sequence[int] = (5, 3, 3)
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, lr, train: bool = False):
    x = lr.astype(self.dtype)
    for width, k in zip(self.features, self.kernel_sizes[:-1]):
      x = jnp.tanh(Conv(width, (k, k), dtype=self.dtype)(x))
    k = self.kernel_sizes[-1]
    x = Conv(self.channels * self.scale**2, (k, k), dtype=self.dtype)(x)
    return pixel_shuffle(x, self.scale).astype(jnp.float32)
