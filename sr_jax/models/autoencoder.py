"""Convolutional auto-encoder with symmetric skips (RED-Net, Mao et al. 2016) for SR."""
from typing import Any

import flax.linen as nn
import jax.numpy as jnp

from sr_jax.models import register
from sr_jax.ops import imresize
from sr_jax.models.common import Conv


@register("autoencoder")
class AutoEncoder(nn.Module):
  """RED30 by default: 15 encoder convolutions, 15 mirrored decoder layers, on the
  bicubic-upsampled input.

  Every `skip_every` layers the encoder's feature map is added to the decoder output at the
  same depth (then ReLU), which carries detail past the bottleneck and shortens gradient
  paths; the last decoder layer predicts the residual over the bicubic image. RED-Net's
  decoder layers are stride-1 deconvolutions, which are convolutions; no layer changes
  the spatial size, so any HR size works.
  """
  scale: int = 2
  channels: int = 3
  num_layers: int = 15
  features: int = 64
  skip_every: int = 2
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, lr, train: bool = False):
    up = imresize.resize_jax(lr, self.scale)
    x = up.astype(self.dtype)
    skips = {}
    for i in range(self.num_layers):
      x = nn.relu(Conv(self.features, (3, 3), dtype=self.dtype, name=f"conv_{i}")(x))
      depth = i + 1
      if depth % self.skip_every == 0 and depth < self.num_layers:
        skips[depth] = x
    for i in range(self.num_layers - 1):
      x = Conv(self.features, (3, 3), dtype=self.dtype, name=f"deconv_{i}")(x)
      depth = self.num_layers - 1 - i
      x = nn.relu(x + skips[depth] if depth in skips else x)
    x = Conv(self.channels, (3, 3), dtype=self.dtype,
             name=f"deconv_{self.num_layers - 1}")(x)
    return up + x.astype(jnp.float32)
