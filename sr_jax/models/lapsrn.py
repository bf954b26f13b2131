"""LapSRN (Lai et al. 2017): a Laplacian pyramid of ×2 levels, each predicting a residual."""
from typing import Any

import flax.linen as nn
import jax.numpy as jnp
import numpy as np

from sr_jax.models import register
from sr_jax.models.common import Conv, upsample_factors


def bilinear_kernel(factor: int) -> np.ndarray:
  """The (k, k) bilinear interpolation kernel that a stride-`factor` deconvolution starts from."""
  size = 2 * factor - factor % 2
  center = factor - 1 if size % 2 else factor - 0.5
  taps = 1 - np.abs(np.arange(size) - center) / factor
  return np.outer(taps, taps)


def _bilinear_init(factor: int):
  def init(key, shape, dtype=jnp.float32):
    del key
    return jnp.asarray(bilinear_kernel(factor)[:, :, None, None] * np.eye(shape[-1]), dtype)
  return init


@register("lapsrn")
class LapSRN(nn.Module):
  """Two branches per level. Feature extraction: `depth` 3×3 conv + LeakyReLU(0.2), a 3×3
  stride-2 deconvolution, and a conv predicting the level's residual image. Image
  reconstruction: a 4×4 stride-2 deconvolution of the previous level's image (initialised
  to bilinear, trained) plus that residual. Layout as in the official MatConvNet code.

  ×2/×4/×8 use 1/2/3 levels. The paper has no ×3 network; here ×3 is one level with
  stride-3 deconvolutions (3×3 features, 5×5 bilinear image kernel).

  With train=True, returns every level's output, coarse to fine (deep supervision: each is
  compared with the HR image resized to its size); else only the last, full-scale one.
  """
  scale: int = 4
  channels: int = 3
  depth: int = 10
  features: int = 64
  dtype: Any = jnp.float32

  @property
  def levels(self) -> int:
    return len(upsample_factors(self.scale))

  @nn.compact
  def __call__(self, lr, train: bool = False):
    lrelu = lambda v: nn.leaky_relu(v, 0.2)
    x = lrelu(Conv(self.features, (3, 3), dtype=self.dtype, name="input_conv")(
        lr.astype(self.dtype)))
    image = lr.astype(jnp.float32)
    outputs = []
    for level, factor in enumerate(upsample_factors(self.scale)):
      for d in range(self.depth):
        x = lrelu(Conv(self.features, (3, 3), dtype=self.dtype,
                       name=f"level{level}_conv{d}")(x))
      x = lrelu(nn.ConvTranspose(self.features, (3, 3), strides=(factor, factor),
                                 padding=((2, factor - 1),) * 2, dtype=self.dtype,
                                 name=f"level{level}_upconv")(x))
      residual = Conv(self.channels, (3, 3), dtype=self.dtype,
                      name=f"level{level}_residual")(x)
      k = bilinear_kernel(factor).shape[0]
      pad = (k + factor - 2) // 2
      image = nn.ConvTranspose(self.channels, (k, k), strides=(factor, factor),
                               padding=((pad, pad),) * 2, use_bias=False,
                               kernel_init=_bilinear_init(factor),
                               name=f"level{level}_img_up")(image)
      image = image + residual.astype(jnp.float32)
      outputs.append(image)
    return tuple(outputs) if train else outputs[-1]
