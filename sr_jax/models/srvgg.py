"""SRVGGNetCompact (Wang et al., Real-ESRGAN; official code xinntao/Real-ESRGAN,
`realesrgan/archs/srvgg_arch.py`): the small models behind realesr-general-x4v3 and
realesr-animevideov3.

A plain VGG-style stack entirely at LR size — 3×3 conv + activation, `num_conv` more of them,
a 3×3 conv to channels·scale² — then one pixel shuffle, plus the nearest-upsampled input: the
convolutions learn only the residual and no convolution runs at HR size. The modules are
named after the official `body` ModuleList's indices (body_0 conv, body_1 activation, …), so
its state_dict maps one to one.
"""
from typing import Any

import flax.linen as nn
import jax.numpy as jnp

from sr_jax.models import register
from sr_jax.models.common import Conv, PReLU, pixel_shuffle

ACTIVATIONS = ("prelu", "relu", "leakyrelu")


@register("srvgg_compact")
class SRVGGNetCompact(nn.Module):
  """Defaults: the official class's (64 features, 16 body convolutions, PReLU), i.e.
  realesr-animevideov3; realesr-general-x4v3 has num_conv=32."""
  scale: int = 4
  channels: int = 3
  features: int = 64
  num_conv: int = 16
  activation: str = "prelu"  # per-channel PReLU (0.25 at init), ReLU or LeakyReLU(0.1)
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, lr, train: bool = False):
    if self.activation not in ACTIVATIONS:
      raise ValueError(f"activation {self.activation!r} is not one of {', '.join(ACTIVATIONS)}")
    x = lr.astype(self.dtype)
    for i in range(self.num_conv + 1):
      x = Conv(self.features, (3, 3), dtype=self.dtype, name=f"body_{2 * i}")(x)
      if self.activation == "prelu":
        x = PReLU(name=f"body_{2 * i + 1}")(x)
      elif self.activation == "relu":
        x = nn.relu(x)
      else:
        x = nn.leaky_relu(x, 0.1)
    x = Conv(self.channels * self.scale**2, (3, 3), dtype=self.dtype,
             name=f"body_{2 * self.num_conv + 2}")(x)
    base = jnp.repeat(jnp.repeat(lr, self.scale, axis=1), self.scale, axis=2)
    return pixel_shuffle(x, self.scale).astype(jnp.float32) + base
