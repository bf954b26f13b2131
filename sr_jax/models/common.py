"""Building blocks shared by the model zoo."""
from typing import Any, Callable, Sequence

import flax.linen as nn
import jax
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


def pixel_unshuffle(x: jnp.ndarray, factor: int) -> jnp.ndarray:
  """Space-to-depth, the inverse of `pixel_shuffle` (PyTorch's F.pixel_unshuffle channel order):
  (n, h·r, w·r, c) → (n, h, w, c·r·r) with channel c*r*r + i*r + j from pixel (i, j)."""
  n, h, w, c = x.shape
  x = x.reshape(n, h // factor, factor, w // factor, factor, c)
  x = x.transpose(0, 1, 3, 5, 2, 4)
  return x.reshape(n, h // factor, w // factor, c * factor * factor)


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


SCAN_MODES = ("auto", "loop", "unroll")


def unroll_blocks(mode: str, train: bool) -> bool:
  """Whether `chain` unrolls, for a model's `scan_mode`: 'loop' compiles one block and runs it in
  a loop (RRDBNet ×4's train step: compile 42 s → 12 s on CPU); 'unroll' compiles straight-line
  code; 'auto' unrolls only training passes on CPU, where XLA runs the weight-gradient
  convolutions inside a loop ~10× slower (jax#12868; that step: 13×), and loops otherwise
  (bench/NOTES.md)."""
  if mode not in SCAN_MODES:
    raise ValueError(f"scan mode {mode!r} is not one of {SCAN_MODES}")
  return mode == "unroll" or (mode == "auto" and train and jax.default_backend() == "cpu")


def chain(make_block: Callable[[str], nn.Module], num: int, name: str, x, *args, unroll: bool):
  """x through `num` blocks of one structure, in order; `args` go to every block unchanged.

  One `nn.scan` over a block named `name`: its parameters carry a leading `num` axis, loop or
  unrolled alike, so a checkpoint loads whatever the mode (see `unroll_blocks`).
  """
  body = nn.scan(lambda block, carry, _: (block(carry, *args), None),
                 variable_axes={"params": 0}, split_rngs={"params": True}, length=num,
                 unroll=True if unroll else 1)
  return body(make_block(name), x, None)[0]
