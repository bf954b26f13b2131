"""SwinIR (Liang et al. 2021): residual Swin Transformer blocks, then one of its three tails.

`upsampler` chooses the tail of each released family: 'pixelshuffle' (classical SR: conv + LeakyReLU,
sub-pixel stages, conv), 'pixelshuffledirect' (lightweight SR: one conv to C·s² and a pixel
shuffle) and 'nearest+conv' (real-world SR: conv + LeakyReLU, nearest ×2 + conv + LeakyReLU(0.2)
per stage, conv_hr, conv_last); `resi_connection` '3conv' is SwinIR-L's bottlenecked conv after
each RSTB and the body. The input is (x − mean) · img_range, the output / img_range + mean.
"""
import functools
from typing import Any, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from sr_jax.models import register
from sr_jax.models.common import (Conv, Dense, SubPixelUpsampler, chain, pixel_shuffle,
                                  shift_mean, unroll_blocks)
from sr_jax.ops.conv import channel_dot

_dense_init = nn.initializers.truncated_normal(0.02)


def window_partition(x: jnp.ndarray, window: int) -> jnp.ndarray:
  """(n, H, W, C) → (n·windows, window², C), the windows of one image contiguous."""
  n, h, w, c = x.shape
  x = x.reshape(n, h // window, window, w // window, window, c).transpose(0, 1, 3, 2, 4, 5)
  return x.reshape(-1, window * window, c)


def window_reverse(windows: jnp.ndarray, window: int, h: int, w: int) -> jnp.ndarray:
  c = windows.shape[-1]
  x = windows.reshape(-1, h // window, w // window, window, window, c).transpose(0, 1, 3, 2, 4, 5)
  return x.reshape(-1, h, w, c)


@functools.lru_cache(maxsize=None)
def relative_position_index(window: int) -> np.ndarray:
  """(window², window²) index into the ((2·window − 1)², heads) bias table."""
  coords = np.stack(np.meshgrid(np.arange(window), np.arange(window), indexing="ij")).reshape(2, -1)
  rel = (coords[:, :, None] - coords[:, None, :]).transpose(1, 2, 0) + window - 1
  return rel[..., 0] * (2 * window - 1) + rel[..., 1]


def shifted_window_mask(h, w, window: int, shift: int) -> jnp.ndarray:
  """(windows, window², window²) additive mask: −100 between tokens that the cyclic shift
  brought together from different image regions, 0 elsewhere. Built from iotas, so h and w
  may be symbolic (jax.export); with static sizes XLA folds it to a constant."""
  def region(size):  # 0 | 1 | 2: before the last window | in it, before the shift | the shift
    i = jnp.arange(size)
    return (i >= size - window).astype(jnp.int32) + (i >= size - shift)
  regions = 3 * region(h)[:, None] + region(w)[None, :]
  labels = window_partition(regions[None, :, :, None], window)[..., 0]
  return jnp.where(labels[:, None, :] != labels[:, :, None], -100.0, 0.0).astype(jnp.float32)


def reflect_pad_end(x: jnp.ndarray, axis: int, size) -> jnp.ndarray:
  """NumPy 'reflect' padding at the end of `axis` up to `size`, as one gather: unlike jnp.pad
  it takes a symbolic size (jax.export), and any amount (the reflection repeats)."""
  n = x.shape[axis]
  period = jnp.maximum(2 * (jnp.asarray(n) - 1), 1)
  i = jnp.arange(size) % period
  return jnp.take(x, jnp.where(i < n, i, period - i), axis=axis)


class QKV(nn.Module):
  """Queries, keys and values, (b, heads, n, c/heads) each, from one (c, 3c) kernel and bias
  (nn.Dense's parameters, so official weights load unchanged), as three products.

  On XLA:CPU, slicing one (b·n, 3c) product into heads costs more than the product: its
  gradient pads each slice back to 3c and transposes the sum. Three products of (c, c) slices
  take SwinIR's attention (forward and backward, 8 windows) from 8.1–9.6 ms to 6.4–7.3 on the
  2-core development VM (bench/NOTES.md, "Kept: SwinIR's attention and the image convolution
  as XLA:CPU runs them best")."""
  num_heads: int
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x):
    c = x.shape[-1]
    kernel = self.param("kernel", _dense_init, (c, 3 * c))
    bias = self.param("bias", nn.initializers.zeros_init(), (3 * c,))
    x, kernel, bias = nn.dtypes.promote_dtype(x, kernel, bias, dtype=self.dtype)

    def project(i):
      y = channel_dot(x, kernel[:, i * c:(i + 1) * c]) + bias[i * c:(i + 1) * c]
      return y.reshape(*x.shape[:-1], self.num_heads, -1).swapaxes(-2, -3)
    return project(0), project(1), project(2)


class WindowAttention(nn.Module):
  """Multi-head self-attention inside each window, with a learned relative position bias."""
  dim: int
  num_heads: int
  window: int
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x, mask=None):
    b, n, c = x.shape
    q, k, v = QKV(self.num_heads, self.dtype, name="qkv")(x)
    attn = (q * (c // self.num_heads)**-0.5) @ k.swapaxes(-1, -2)
    table = self.param("relative_position_bias_table", _dense_init,
                       ((2 * self.window - 1)**2, self.num_heads))
    bias = table[relative_position_index(self.window).reshape(-1)]
    bias = bias.reshape(n, n, -1).transpose(2, 0, 1)
    # The bias broadcast to every window as a product with ones, so that its gradient, a sum
    # over the windows, is a product too: as XLA:CPU's reduction over that leading axis it took
    # 3.9 ms of a profiled 36.5 ms forward and backward of this layer at 32 windows.
    attn = attn.astype(jnp.float32) + jnp.einsum("w,hqk->whqk", jnp.ones((b,)), bias)
    if mask is not None:
      windows = mask.shape[0]
      attn = attn.reshape(b // windows, windows, self.num_heads, n, n) + mask[None, :, None]
      attn = attn.reshape(b, self.num_heads, n, n)
    attn = jax.nn.softmax(attn, axis=-1).astype(self.dtype)
    x = (attn @ v).transpose(0, 2, 1, 3).reshape(b, n, c)
    return Dense(c, dtype=self.dtype, kernel_init=_dense_init, name="proj")(x)


class SwinBlock(nn.Module):
  """Pre-norm window attention (cyclically shifted by `shift`) and MLP, each with a skip."""
  dim: int
  num_heads: int
  window: int
  shift: int
  mlp_ratio: float
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x, hw):
    h, w = hw
    norm = lambda name: nn.LayerNorm(1e-5, dtype=self.dtype, name=name)
    y = norm("norm1")(x).reshape(-1, h, w, self.dim)
    if self.shift:
      y = jnp.roll(y, (-self.shift, -self.shift), axis=(1, 2))
    mask = shifted_window_mask(h, w, self.window, self.shift) if self.shift else None
    y = WindowAttention(self.dim, self.num_heads, self.window, self.dtype, name="attn")(
        window_partition(y, self.window), mask)
    y = window_reverse(y, self.window, h, w)
    if self.shift:
      y = jnp.roll(y, (self.shift, self.shift), axis=(1, 2))
    x = x + y.reshape(x.shape)
    y = Dense(int(self.dim * self.mlp_ratio), dtype=self.dtype, kernel_init=_dense_init,
              name="fc1")(norm("norm2")(x))
    y = Dense(self.dim, dtype=self.dtype, kernel_init=_dense_init,
              name="fc2")(nn.gelu(y, approximate=False))
    return x + y


RESI_CONNECTIONS = ("1conv", "3conv")
UPSAMPLERS = ("pixelshuffle", "pixelshuffledirect", "nearest+conv")


class ThreeConv(nn.Module):
  """SwinIR-L's '3conv': 3×3 to dim/4, LeakyReLU(0.2), 1×1, LeakyReLU(0.2), 3×3 back to dim."""
  dim: int
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x):
    lrelu = lambda y: nn.leaky_relu(y, 0.2)
    x = lrelu(Conv(self.dim // 4, (3, 3), dtype=self.dtype, name="Conv_0")(x))
    x = lrelu(Conv(self.dim // 4, (1, 1), dtype=self.dtype, name="Conv_1")(x))
    return Conv(self.dim, (3, 3), dtype=self.dtype, name="Conv_2")(x)


def resi_conv(dim: int, kind: str, dtype, name: str) -> nn.Module:
  """The conv after each RSTB and after the body: one 3×3 ('1conv') or ThreeConv ('3conv')."""
  if kind == "3conv":
    return ThreeConv(dim, dtype, name=name)
  return Conv(dim, (3, 3), dtype=dtype, name=name)


class RSTB(nn.Module):
  """Residual Swin Transformer block: Swin layers (odd ones shifted by half a window),
  then the residual conv on the image-shaped tokens, plus a skip around the whole block."""
  dim: int
  depth: int
  num_heads: int
  window: int
  mlp_ratio: float
  resi_connection: str = "1conv"
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x, hw):
    y = x
    for i in range(self.depth):
      shift = self.window // 2 if i % 2 else 0
      y = SwinBlock(self.dim, self.num_heads, self.window, shift, self.mlp_ratio, self.dtype,
                    name=f"block_{i}")(y, hw)
    y = resi_conv(self.dim, self.resi_connection, self.dtype, "conv")(
        y.reshape(-1, *hw, self.dim))
    return x + y.reshape(x.shape)


@register("swinir")
class SwinIR(nn.Module):
  """SwinIR: conv, RSTBs on the token sequence with LayerNorms before and after, conv + global
  skip, then the `upsampler` tail (defaults: classical SR's pixel-shuffle tail).

  Any input size works: the LR image is reflect-padded up to a multiple of the window and
  the output is cropped back; the shifted-window masks are built for the padded size, from
  iotas, so the size may be symbolic (sr_jax.export). Stochastic depth (drop_path_rate 0.1 in
  the official training) is left out, so that apply needs no RNG.
  """
  scale: int = 2
  channels: int = 3
  embed_dim: int = 180
  depths: Sequence[int] = (6, 6, 6, 6, 6, 6)
  num_heads: Sequence[int] = (6, 6, 6, 6, 6, 6)
  window_size: int = 8
  mlp_ratio: float = 2.0
  upsample_features: int = 64
  upsampler: str = "pixelshuffle"  # UPSAMPLERS
  resi_connection: str = "1conv"  # RESI_CONNECTIONS
  img_range: float = 1.0
  # common.chain over the RSTBs (params 'rstb' with a block axis) when all have the same depth
  # and heads; otherwise separate rstb_0, rstb_1, ...
  scan_mode: str = "auto"
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, lr, train: bool = False):
    n, h, w, _ = lr.shape
    ws = self.window_size
    hw = (ws * ((h + ws - 1) // ws), ws * ((w + ws - 1) // ws))  # symbolic-friendly round-up
    if self.upsampler not in UPSAMPLERS or self.resi_connection not in RESI_CONNECTIONS:
      raise ValueError(f"swinir: upsampler {self.upsampler!r} / resi_connection "
                       f"{self.resi_connection!r} is not one of {UPSAMPLERS} / {RESI_CONNECTIONS}")
    x = shift_mean(lr, -1.0, self.channels) * self.img_range
    x = reflect_pad_end(reflect_pad_end(x, 1, hw[0]), 2, hw[1]).astype(self.dtype)
    x = Conv(self.embed_dim, (3, 3), dtype=self.dtype, name="conv_first")(x)
    y = nn.LayerNorm(1e-5, dtype=self.dtype, name="embed_norm")(x.reshape(n, -1, self.embed_dim))
    stages = list(zip(self.depths, self.num_heads))
    rstb = lambda name, depth, heads: RSTB(self.embed_dim, depth, heads, ws, self.mlp_ratio,
                                           self.resi_connection, self.dtype, name=name)
    if len(set(stages)) == 1:
      y = chain(lambda name: rstb(name, *stages[0]), len(stages), "rstb", y, hw,
                unroll=unroll_blocks(self.scan_mode, train))
    else:
      for i, (depth, heads) in enumerate(stages):
        y = rstb(f"rstb_{i}", depth, heads)(y, hw)
    y = nn.LayerNorm(1e-5, dtype=self.dtype, name="norm")(y).reshape(x.shape)
    x = x + resi_conv(self.embed_dim, self.resi_connection, self.dtype, "conv_after_body")(y)
    x = self._tail(x)
    x = x[:, :h * self.scale, :w * self.scale].astype(jnp.float32) / self.img_range
    return shift_mean(x, 1.0, self.channels)

  def _tail(self, x):
    conv = lambda width, name: Conv(width, (3, 3), dtype=self.dtype, name=name)
    if self.upsampler == "pixelshuffledirect":
      return pixel_shuffle(conv(self.channels * self.scale**2, "upsample")(x), self.scale)
    x = nn.leaky_relu(conv(self.upsample_features, "conv_before_upsample")(x), 0.01)
    if self.upsampler == "pixelshuffle":
      x = SubPixelUpsampler(self.scale, self.upsample_features, self.dtype, name="upsample")(x)
      return conv(self.channels, "conv_last")(x)
    if self.scale not in (2, 4):
      raise ValueError(f"swinir: the 'nearest+conv' tail is ×2 or ×4, not ×{self.scale}")
    lrelu = lambda y: nn.leaky_relu(y, 0.2)
    for i in range(self.scale // 2):
      x = jnp.repeat(jnp.repeat(x, 2, axis=1), 2, axis=2)
      x = lrelu(conv(self.upsample_features, f"conv_up{i + 1}")(x))
    return conv(self.channels, "conv_last")(lrelu(conv(self.upsample_features, "conv_hr")(x)))
