"""IRCNN's dilated denoiser (Zhang, Zuo, Gu, Zhang, "Learning Deep CNN Denoiser Prior for
Image Restoration", CVPR 2017) as a pre-upsampling SR model: the representative of dilated
convolutions here.

Seven 3×3 convolutions dilated 1, 2, 3, 4, 3, 2, 1 (ReLU between them, 64 features) see a
33×33 window — what a 16-layer undilated stack would — with the weights and multiply-adds of
seven layers. The paper's net predicts the residual of its input (the noise), and returns
input − residual; here the input is the MATLAB-bicubic upsampled LR image (as VDSR's), so the
convolutions remove what bicubic upsampling leaves. The paper trains with batch normalisation
in the five middle layers; the official PyTorch definition (cszn/KAIR, `models/
network_dncnn.py`, class IRCNN, by the first author), whose released denoisers have it merged
into the convolutions, has none, and neither does this model: KAIR's weights map onto it.
"""
from typing import Any, Sequence

import flax.linen as nn
import jax.numpy as jnp

from sr_jax.models import register
from sr_jax.ops import imresize
from sr_jax.models.common import Conv


@register("ircnn")
class IRCNN(nn.Module):
  scale: int = 2
  channels: int = 3
  features: int = 64
  dilations: Sequence[int] = (1, 2, 3, 4, 3, 2, 1)
  dtype: Any = jnp.float32

  def __call__(self, lr, train: bool = False):
    up = imresize.resize_jax(lr, self.scale)
    return up - self.residual(up.astype(self.dtype)).astype(jnp.float32)

  @nn.compact
  def residual(self, x):
    """The seven dilated convolutions: what to remove from the upsampled image `x`."""
    last = len(self.dilations) - 1
    for i, d in enumerate(self.dilations):
      x = Conv(self.channels if i == last else self.features, (3, 3), kernel_dilation=d,
               dtype=self.dtype, name=f"conv_{i}")(x)
      if i < last:
        x = nn.relu(x)
    return x
