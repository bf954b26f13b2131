"""Building blocks shared by the model zoo."""
from typing import Any, Sequence

import flax.linen as nn
import jax.numpy as jnp

Dtype = Any
# Mean RGB of DIV2K, subtracted at the input and added back at the output (EDSR, RCAN, RDN).
DIV2K_RGB_MEAN = (0.4488, 0.4371, 0.4040)


def pixel_shuffle(x: jnp.ndarray, factor: int) -> jnp.ndarray:
  """Depth-to-space with PyTorch's channel order: channel c*r*r + i*r + j → (c, i, j).

  Keeping PyTorch's order lets converted `nn.PixelShuffle` weights load unchanged.
  """
  n, h, w, c = x.shape
  out_c = c // (factor * factor)
  x = x.reshape(n, h, w, out_c, factor, factor)
  x = x.transpose(0, 1, 4, 2, 5, 3)
  return x.reshape(n, h * factor, w * factor, out_c)


def upsample_factors(scale: int) -> Sequence[int]:
  """Sub-pixel stages for `scale`: ×2 stages for powers of two, one ×3 stage for 3."""
  if scale == 3:
    return (3,)
  if scale >= 2 and scale & (scale - 1) == 0:
    return (2,) * (scale.bit_length() - 1)
  raise ValueError(f"scale {scale} is not 2, 3 or a power of two")


class SubPixelUpsampler(nn.Module):
  """conv → pixel shuffle, per ×2/×3 stage (ESPCN/EDSR `Upsampler`)."""
  scale: int
  features: int
  dtype: Dtype = jnp.float32
  kernel_size: int = 3
  activation: Any = None

  @nn.compact
  def __call__(self, x):
    k = (self.kernel_size, self.kernel_size)
    for factor in upsample_factors(self.scale):
      x = nn.Conv(self.features * factor * factor, k, dtype=self.dtype)(x)
      x = pixel_shuffle(x, factor)
      if self.activation is not None:
        x = self.activation(x)
    return x


def shift_mean(x: jnp.ndarray, sign: float, channels: int) -> jnp.ndarray:
  """Subtracts (sign=-1) or adds (sign=+1) the DIV2K mean; no parameters (EDSR `MeanShift`)."""
  if channels != 3:
    return x
  return x + sign * jnp.asarray(DIV2K_RGB_MEAN, x.dtype)
