"""SRResNet (Ledig et al. 2017, the SRGAN generator) and BasicSR's MSRResNet (no BatchNorm)."""
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from sr_jax.models import register
from sr_jax.models.common import Conv, pixel_shuffle, upsample_factors

# BasicSR's `default_init_weights(..., scale=0.1)`: Kaiming-normal kernels scaled by 0.1, so
# each residual branch starts near zero and the deep sum of blocks starts near the identity.
kaiming_scaled = nn.initializers.variance_scaling(2.0 * 0.1**2, "fan_in", "normal")


def _prelu():
  # PyTorch's nn.PReLU(): one slope for all channels, 0.25 at the start.
  return nn.PReLU(negative_slope_init=0.25)


class BNResBlock(nn.Module):
  features: int
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x, train: bool):
    bn = lambda: nn.BatchNorm(use_running_average=not train, momentum=0.9, epsilon=1e-5,
                              dtype=self.dtype)
    y = Conv(self.features, (3, 3), dtype=self.dtype)(x)
    y = _prelu()(bn()(y))
    y = Conv(self.features, (3, 3), dtype=self.dtype)(y)
    return x + bn()(y)


@register("srresnet")
class SRResNet(nn.Module):
  """9×9 head, residual blocks of conv-BN-PReLU-conv-BN, conv-BN and a long skip, then
  conv → pixel shuffle → PReLU per ×2 stage (one ×3 stage for scale 3), 9×9 tail.

  BatchNorm statistics live in the `batch_stats` collection: apply with
  mutable=['batch_stats'] when train=True.
  """
  scale: int = 4
  channels: int = 3
  num_blocks: int = 16
  features: int = 64
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, lr, train: bool = False):
    x = lr.astype(self.dtype)
    x = _prelu()(Conv(self.features, (9, 9), dtype=self.dtype, name="head")(x))
    y = x
    for i in range(self.num_blocks):
      y = BNResBlock(self.features, self.dtype, name=f"block_{i}")(y, train)
    y = Conv(self.features, (3, 3), dtype=self.dtype, name="body_end")(y)
    y = nn.BatchNorm(use_running_average=not train, momentum=0.9, epsilon=1e-5,
                     dtype=self.dtype, name="body_end_bn")(y)
    x = x + y
    for i, factor in enumerate(upsample_factors(self.scale)):
      x = Conv(self.features * factor**2, (3, 3), dtype=self.dtype, name=f"upconv_{i}")(x)
      x = _prelu()(pixel_shuffle(x, factor))
    x = Conv(self.channels, (9, 9), dtype=self.dtype, name="tail")(x)
    return x.astype(jnp.float32)


class ResBlockNoBN(nn.Module):
  features: int
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x):
    conv = lambda: Conv(self.features, (3, 3), dtype=self.dtype, kernel_init=kaiming_scaled)
    return x + conv()(nn.relu(conv()(x)))


@register("msrresnet")
class MSRResNet(nn.Module):
  """BasicSR's modified SRResNet: no BatchNorm, 3×3 head, ReLU inside the blocks and
  LeakyReLU(0.1) elsewhere, conv_hr + conv_last after upsampling, and the output is a
  residual over the bilinearly upsampled input.

  As in BasicSR, ×2 and ×3 use one sub-pixel stage and ×4 two ×2 stages (×8: three).
  """
  scale: int = 4
  channels: int = 3
  num_blocks: int = 16
  features: int = 64
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, lr, train: bool = False):
    lrelu = lambda v: nn.leaky_relu(v, 0.1)
    conv = lambda width, name: Conv(width, (3, 3), dtype=self.dtype,
                                    kernel_init=kaiming_scaled, name=name)
    x = lrelu(conv(self.features, "conv_first")(lr.astype(self.dtype)))
    for i in range(self.num_blocks):
      x = ResBlockNoBN(self.features, self.dtype, name=f"block_{i}")(x)
    for i, factor in enumerate(upsample_factors(self.scale)):
      x = conv(self.features * factor**2, f"upconv_{i}")(x)
      x = lrelu(pixel_shuffle(x, factor))
    x = conv(self.channels, "conv_last")(lrelu(conv(self.features, "conv_hr")(x)))
    n, h, w, c = lr.shape
    # PyTorch's bilinear interpolate (align_corners=False) when upsampling.
    base = jax.image.resize(lr.astype(jnp.float32), (n, h * self.scale, w * self.scale, c),
                            "bilinear")
    return base + x.astype(jnp.float32)
