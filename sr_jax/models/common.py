"""Building blocks shared by the model zoo: pixel shuffle and sub-pixel upsampling, the DIV2K
mean shift, per-channel PReLU, the convolution variants a model may offer (grouped, depthwise-
separable, dilated; `make_conv`), and `chain`, the scanned stack of identical blocks."""
import functools
from typing import Any, Callable, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from sr_jax.ops import conv as conv_ops

Dtype = Any
# Mean RGB of DIV2K, subtracted at the input and added back at the output (EDSR, RCAN, RDN).
DIV2K_RGB_MEAN = (0.4488, 0.4371, 0.4040)


# Every model's convolution: nn.Conv, its 1×1 kernels run as matrix products, and on CPU its
# grouped ones per group and those to an image as a product and shifted adds (ops.conv).
Conv = functools.partial(nn.Conv, conv_general_dilated=conv_ops.conv_general_dilated)
# Every model's nn.Dense, its products over flattened rows (ops.conv.channel_dot).
Dense = functools.partial(nn.Dense, dot_general=conv_ops.dot_general)


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
  """conv → pixel shuffle, per ×2/×3 stage (ESPCN/EDSR `Upsampler`); `groups` > 1 makes the
  convolutions grouped (CARN-M's upsampler)."""
  scale: int
  features: int
  dtype: Dtype = jnp.float32
  kernel_size: int = 3
  activation: Any = None
  groups: int = 1

  @nn.compact
  def __call__(self, x):
    k = (self.kernel_size, self.kernel_size)
    for factor in upsample_factors(self.scale):
      x = Conv(self.features * factor * factor, k, feature_group_count=self.groups,
               dtype=self.dtype)(x)
      x = pixel_shuffle(x, factor)
      if self.activation is not None:
        x = self.activation(x)
    return x


def shift_mean(x: jnp.ndarray, sign: float, channels: int) -> jnp.ndarray:
  """Subtracts (sign=-1) or adds (sign=+1) the DIV2K mean; no parameters (EDSR `MeanShift`)."""
  if channels != 3:
    return x
  return x + sign * jnp.asarray(DIV2K_RGB_MEAN, x.dtype)


class PReLU(nn.Module):
  """PReLU with one learned slope per channel (He et al. 2015), PyTorch's
  `nn.PReLU(num_parameters=C)`: FSRCNN's and SRVGGNetCompact's activation."""
  init: float = 0.25

  @nn.compact
  def __call__(self, x):
    slope = self.param("negative_slope", nn.initializers.constant(self.init), (x.shape[-1],))
    return jnp.where(x >= 0, x, slope.astype(x.dtype) * x)


# Convolution variants (`make_conv`): 'standard' (dense k×k), 'grouped' (the channels split
# into `groups` groups, each convolved on its own: 1/groups of the weights and multiply-adds;
# ResNeXt, CARN-M) and 'depthwise_separable' (a k×k filter per input channel, then a 1×1 across
# channels: MobileNet, Xception). Any of them may be dilated (`dilation` d: the k taps spaced d
# apart, a (k-1)·d+1 receptive field for k² weights; IRCNN, DRN), with "same" padding d·(k//2).
CONV_TYPES = ("standard", "grouped", "depthwise_separable")


def conv_problem(conv: str, groups: int, dilation: int,
                 features: int | None = None) -> tuple[str, str] | None:
  """(field, message) for settings `make_conv` refuses, else None; `features` (input and output
  channels, when one number) is checked against `groups`. Models and config validation share it."""
  if conv not in CONV_TYPES:
    return "conv", f"{conv!r} is not one of {', '.join(CONV_TYPES)}"
  if not isinstance(groups, int) or groups < 1:
    return "groups", f"must be an integer >= 1, got {groups!r}"
  if not isinstance(dilation, int) or dilation < 1:
    return "dilation", f"must be an integer >= 1, got {dilation!r}"
  if conv == "grouped" and groups < 2:
    return "groups", "must be >= 2 for conv='grouped'"
  if conv != "grouped" and groups != 1:
    return "groups", f"is {groups}, but only conv='grouped' splits into groups (conv={conv!r})"
  if conv == "grouped" and features is not None and features % groups:
    return "groups", f"{groups} does not divide the {features} features"
  return None


def check_conv(conv: str, groups: int, dilation: int, features: int | None = None) -> None:
  """Raises ValueError naming the field when `conv_problem` finds one."""
  problem = conv_problem(conv, groups, dilation, features)
  if problem:
    raise ValueError(f"{problem[0]}: {problem[1]}")


class SeparableConv(nn.Module):
  """Depthwise k×k (one filter per input channel, optionally dilated) → pointwise 1×1 to
  `features`, both with biases and nothing in between (Xception's finding: no activation there
  trains best). k²·C + C·F weights instead of k²·C·F."""
  features: int
  kernel_size: int = 3
  dilation: int = 1
  dtype: Dtype = jnp.float32

  @nn.compact
  def __call__(self, x):
    k, c = self.kernel_size, x.shape[-1]
    x = Conv(c, (k, k), kernel_dilation=self.dilation, feature_group_count=c,
             dtype=self.dtype, name="depthwise")(x)
    return Conv(self.features, (1, 1), dtype=self.dtype, name="pointwise")(x)


def make_conv(features: int, kernel_size: int = 3, *, conv: str = "standard", groups: int = 1,
              dilation: int = 1, dtype: Dtype = jnp.float32, name: str | None = None) -> nn.Module:
  """A "same"-padded k×k convolution of type `conv` (CONV_TYPES) to `features` channels.

  'standard' and 'grouped' are one `nn.Conv` (kernel (k, k, C/groups, F)), so a model that
  builds its convolutions here keeps its parameter names — and its converted or saved weights —
  in the standard case; 'depthwise_separable' is a `SeparableConv`.
  """
  check_conv(conv, groups, dilation)
  if conv == "depthwise_separable":
    return SeparableConv(features, kernel_size, dilation, dtype, name=name)
  return Conv(features, (kernel_size, kernel_size), kernel_dilation=dilation,
              feature_group_count=groups, dtype=dtype, name=name)


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
