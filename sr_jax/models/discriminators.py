"""GAN discriminators (NHWC, logits): SRGAN/ESRGAN's VGG-style and Real-ESRGAN's U-Net with SN.

Layouts and layer names follow BasicSR (`VGGStyleDiscriminator`, `UNetDiscriminatorSN`), so
converted weights map one to one. They are not SR models and stay out of the model registry.

Spectral norm (U-Net) is `flax.linen.SpectralNorm` with its power-iteration vector `u` (and the
last σ) in the 'spectral' collection: train with `apply(..., train=True, mutable=['spectral'])`
and keep the returned collection; eval (`train=False`) updates nothing. One power step per call,
as PyTorch's `spectral_norm`.
"""
from typing import Any

import flax.linen as nn
import jax.numpy as jnp

from sr_jax.models.common import Conv

Dtype = Any


def _lrelu(x):
  return nn.leaky_relu(x, negative_slope=0.2)


class VGGStyleDiscriminator(nn.Module):
  """Five (3×3 conv, 4×4 stride-2 conv) stages with BN, then linear 100 → 1; input 128 or 256."""
  num_feat: int = 64
  input_size: int = 128
  dtype: Dtype = jnp.float32

  @nn.compact
  def __call__(self, x, train: bool = False):
    if x.shape[1:3] != (self.input_size, self.input_size):
      raise ValueError(f"expected {self.input_size}x{self.input_size} input, got {x.shape}")
    bn = lambda name: nn.BatchNorm(use_running_average=not train, momentum=0.9, epsilon=1e-5,
                                   dtype=self.dtype, name=name)
    x = x.astype(self.dtype)
    x = _lrelu(Conv(self.num_feat, (3, 3), padding=1, dtype=self.dtype, name="conv0_0")(x))
    x = Conv(self.num_feat, (4, 4), 2, padding=1, use_bias=False, dtype=self.dtype,
             name="conv0_1")(x)
    x = _lrelu(bn("bn0_1")(x))
    stages = 6 if self.input_size == 256 else 5
    for i in range(1, stages):
      feat = self.num_feat * min(2**i, 8)
      for j, (k, stride) in enumerate(((3, 1), (4, 2))):
        x = Conv(feat, (k, k), stride, padding=1, use_bias=False, dtype=self.dtype,
                 name=f"conv{i}_{j}")(x)
        x = _lrelu(bn(f"bn{i}_{j}")(x))
    # Flatten in PyTorch's (C, H, W) order so converted linear1 weights apply unchanged.
    x = x.transpose(0, 3, 1, 2).reshape(x.shape[0], -1)
    x = _lrelu(nn.Dense(100, dtype=self.dtype, name="linear1")(x))
    return nn.Dense(1, dtype=self.dtype, name="linear2")(x).astype(jnp.float32)


def upsample2x_bilinear(x):
  """×2 bilinear with half-pixel centres and edge clamping (PyTorch, align_corners=False)."""
  def along(x, axis):
    n = x.shape[axis]
    prev = jnp.take(x, jnp.maximum(jnp.arange(n) - 1, 0), axis=axis)
    nxt = jnp.take(x, jnp.minimum(jnp.arange(n) + 1, n - 1), axis=axis)
    even, odd = 0.25 * prev + 0.75 * x, 0.75 * x + 0.25 * nxt
    out = jnp.stack([even, odd], axis=axis + 1)
    return out.reshape(x.shape[:axis] + (2 * n,) + x.shape[axis + 1:])
  return along(along(x, 1), 2)


class UNetDiscriminatorSN(nn.Module):
  """Real-ESRGAN's U-Net discriminator: per-pixel logits (N, H, W, 1); H, W divisible by 8."""
  num_feat: int = 64
  skip_connection: bool = True
  dtype: Dtype = jnp.float32

  @nn.compact
  def __call__(self, x, train: bool = False):
    def sn_conv(i, feat, k=3, stride=1):
      conv = Conv(feat, (k, k), stride, padding=1, use_bias=False, dtype=self.dtype,
                  name=f"conv{i}")
      layer = nn.SpectralNorm(conv, collection_name="spectral", name=f"conv{i}_sn")
      return lambda h: _lrelu(layer(h, update_stats=train))

    f = self.num_feat
    x = x.astype(self.dtype)
    x0 = _lrelu(Conv(f, (3, 3), padding=1, dtype=self.dtype, name="conv0")(x))
    x1 = sn_conv(1, 2 * f, 4, 2)(x0)
    x2 = sn_conv(2, 4 * f, 4, 2)(x1)
    x3 = sn_conv(3, 8 * f, 4, 2)(x2)
    x4 = sn_conv(4, 4 * f)(upsample2x_bilinear(x3))
    if self.skip_connection:
      x4 = x4 + x2
    x5 = sn_conv(5, 2 * f)(upsample2x_bilinear(x4))
    if self.skip_connection:
      x5 = x5 + x1
    x6 = sn_conv(6, f)(upsample2x_bilinear(x5))
    if self.skip_connection:
      x6 = x6 + x0
    out = sn_conv(8, f)(sn_conv(7, f)(x6))
    return Conv(1, (3, 3), padding=1, dtype=self.dtype, name="conv9")(out).astype(jnp.float32)


DISCRIMINATORS = {"vgg128": VGGStyleDiscriminator, "unet_sn": UNetDiscriminatorSN}
