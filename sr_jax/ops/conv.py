"""`lax.conv_general_dilated` with pointwise (1×1) convolutions as matrix products, and grouped
convolutions as one convolution per group on CPU.

A 1×1 convolution at stride 1 is a product of the (N·H·W, C) pixels with the (C, F) kernel.
XLA:CPU runs it as a convolution instead, and slowly: at batch 128 × 36² × 64 → 32 channels
(SRCNN's middle layer) its forward takes 80.5 ms and its weight gradient 322.6 ms on the
2-core development VM, against 8.9 ms and 70.2 ms as a `dot_general` (bench/NOTES.md, "Where
XLA:CPU loses"). `conv_general_dilated` here takes that route for every 1×1 kernel at stride 1
without dilation, groups or padding, and hands every other case to `lax.conv_general_dilated`
unchanged; the models' `nn.Conv`s take it as their `conv_general_dilated` (models.common.Conv),
so parameters, their names and shapes, and converted weights stay as they are.

Grouped convolutions (`feature_group_count` > 1) are slow on XLA:CPU too, their gradients most:
a 4-group 3×3 convolution of 16 × 16² × 64 channels takes 207 ms forward and backward, against
6.7 ms as four 16-channel convolutions concatenated (bench/NOTES.md, "Kept: grouped
convolutions on CPU"). On the CPU backend, channels-last, stride 1 and no input dilation,
`conv_general_dilated` therefore runs a grouped convolution with more than one input channel per
group as one convolution per group (a 1×1 one as one matrix product per group); other backends
(cuDNN's grouped kernels) and depthwise convolutions get `lax.conv_general_dilated` unchanged.

A k×k convolution to an image's few channels (every model's last one, at the HR size) is slow
on XLA:CPU mostly in its weight gradient, a convolution whose window is the whole image: at 2 ×
64² × 64 → 3 channels, forward and both gradients take 16.9 ms on the development VM (PyTorch:
3.6). On CPU, `conv_general_dilated` runs it as `few_outputs_conv`, one product of the pixels
with all k² taps and k² shifted adds, whose gradients are products too: 2.9 ms.

Products of (…, C) activations with a (C, F) kernel, the pointwise convolutions here and
nn.Dense through `dot_general` (models.common.Dense), run over the rows flattened to 2-D
(`channel_dot`).

`separable_valid` filters image planes (SSIM's Gaussian window, IFC/VIF's) as sums of shifted
slices rather than one-channel convolutions, for the same reason.
"""
import jax
from jax import lax
import jax.numpy as jnp
import numpy as np

# Out channels up to which a k×k convolution runs as `few_outputs_conv` on CPU: an image's (RGB
# or Y). At 16 and 32 it was 1.3–1.7× faster alone but not in RRDBNet's step (bench/NOTES.md).
FEW_OUTPUTS = 4


def _channels_last(dimension_numbers, ndim: int) -> bool:
  """Whether the numbers are flax's: lhs/out (N, spatial..., C), rhs (spatial..., I, O)."""
  dn = lax.conv_dimension_numbers((1,) * ndim, (1,) * ndim, dimension_numbers)
  spatial = tuple(range(1, ndim - 1))
  return (dn.lhs_spec == (0, ndim - 1) + spatial and dn.out_spec == dn.lhs_spec
          and dn.rhs_spec == (ndim - 1, ndim - 2) + tuple(range(ndim - 2)))


def _no_padding(padding, spatial: int) -> bool:
  if isinstance(padding, str):
    return padding.upper() in ("SAME", "VALID", "SAME_LOWER")  # 1×1: all pad nothing
  return all(tuple(p) == (0, 0) for p in padding) and len(padding) == spatial


def conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=None,
                         rhs_dilation=None, dimension_numbers=None, feature_group_count=1,
                         batch_group_count=1, precision=None, preferred_element_type=None):
  """`lax.conv_general_dilated`; a pointwise case (above) is a `dot_general` over channels; on
  CPU a grouped one is one convolution per group, and one to an image `few_outputs_conv`."""
  spatial = rhs.ndim - 2
  ones = (1,) * spatial
  plain = (dimension_numbers is not None and _channels_last(dimension_numbers, lhs.ndim)
           and tuple(window_strides) == ones and tuple(lhs_dilation or ones) == ones
           and batch_group_count == 1)
  on_cpu = plain and jax.default_backend() == "cpu"
  if on_cpu and feature_group_count > 1 and rhs.shape[-2] > 1:
    return jnp.concatenate([
        conv_general_dilated(x, k, window_strides, padding, rhs_dilation=rhs_dilation,
                             dimension_numbers=dimension_numbers, precision=precision,
                             preferred_element_type=preferred_element_type)
        for x, k in zip(jnp.split(lhs, feature_group_count, axis=-1),
                        jnp.split(rhs, feature_group_count, axis=-1))], axis=-1)
  # One kernel applied densely: no groups, no kernel dilation.
  dense = plain and feature_group_count == 1 and tuple(rhs_dilation or ones) == ones
  pointwise = dense and rhs.shape[:spatial] == ones and _no_padding(padding, spatial)
  if (on_cpu and dense and spatial == 2 and rhs.shape[-1] <= FEW_OUTPUTS
      and rhs.shape[:2] != ones):
    return few_outputs_conv(lhs, rhs, padding, precision, preferred_element_type)
  if not pointwise:
    return lax.conv_general_dilated(
        lhs, rhs, window_strides, padding, lhs_dilation=lhs_dilation, rhs_dilation=rhs_dilation,
        dimension_numbers=dimension_numbers, feature_group_count=feature_group_count,
        batch_group_count=batch_group_count, precision=precision,
        preferred_element_type=preferred_element_type)
  return channel_dot(lhs, rhs.reshape(rhs.shape[-2:]), precision=precision,
                     preferred_element_type=preferred_element_type)


def few_outputs_conv(lhs, rhs, padding, precision=None, preferred_element_type=None):
  """A stride-1 k×k convolution (NHWC, HWIO) to few channels F as one product of the pixels
  with all k² taps at once, (N·H·W, C) · (C, k²·F), then k² shifted slices of it added."""
  kh, kw, c, f = rhs.shape
  h, w = lhs.shape[1:3]
  if isinstance(padding, str):
    padding = lax.padtype_to_pads((h, w), (kh, kw), (1, 1), padding)
  z = channel_dot(lhs, rhs.transpose(2, 0, 1, 3).reshape(c, kh * kw * f), precision,
                  preferred_element_type)
  z = jnp.pad(z, ((0, 0), tuple(padding[0]), tuple(padding[1]), (0, 0)))
  oh, ow = z.shape[1] - kh + 1, z.shape[2] - kw + 1
  taps = [z[:, i:i + oh, j:j + ow, (i * kw + j) * f:(i * kw + j + 1) * f]
          for i in range(kh) for j in range(kw)]
  return sum(taps[1:], taps[0])


def channel_dot(lhs, rhs, precision=None, preferred_element_type=None):
  """(…, C) · (C, F) → (…, F) as one 2-D product of the flattened (…, C) rows.

  XLA:CPU's weight gradient of the same product over 3-D or 4-D lhs contracts two or three
  axes: it transposes the output gradient into a copy first and splits the bias gradient's
  elementwise work into several loops. Over 2-D rows it needs neither: a SwinIR layer's
  (8, 256, 180) → 360 product, forward and both gradients, takes 5.6–7.0 ms instead of 7.6–9.0
  on the 2-core development VM (bench/NOTES.md, "Kept: SwinIR's attention and the image
  convolution as XLA:CPU runs them best")."""
  y = lax.dot_general(lhs.reshape(-1, lhs.shape[-1]), rhs, (((1,), (0,)), ((), ())),
                      precision=precision, preferred_element_type=preferred_element_type)
  return y.reshape(*lhs.shape[:-1], rhs.shape[-1])


def dot_general(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None,
                out_sharding=None):
  """`lax.dot_general`, with nn.Dense's product (lhs's last axis by a 2-D kernel's first, no
  batch axes) as `channel_dot`."""
  (lc, rc), (lb, rb) = dimension_numbers
  if (rhs.ndim == 2 and lhs.ndim > 2 and tuple(lc) == (lhs.ndim - 1,) and tuple(rc) == (0,)
      and not lb and not rb and out_sharding is None):
    return channel_dot(lhs, rhs, precision, preferred_element_type)
  return lax.dot_general(lhs, rhs, dimension_numbers, precision=precision,
                         preferred_element_type=preferred_element_type,
                         out_sharding=out_sharding)


def separable_valid(x, g):
  """Separable 'valid' filtering of (…, H, W) planes with the 1-D window g (on both axes, as
  MATLAB's filter2(g gᵀ, x, 'valid') for a symmetric g): (…, H − k + 1, W − k + 1).

  Each pass is a weighted sum of k shifted slices, which XLA fuses into one loop; on CPU a
  one-channel convolution of the same planes runs several times slower (SSIM's 11-tap Gaussian
  over Set5 + Set14: bench/NOTES.md, "Kept: validation without one-channel convolutions").
  Sums in x's dtype, in tap order.
  """
  g = np.asarray(g)
  k = g.shape[0]
  h, w = x.shape[-2] - k + 1, x.shape[-1] - k + 1
  dtype = x.dtype
  x = sum(g[i].astype(dtype) * x[..., i:i + h, :] for i in range(k))
  return sum(g[i].astype(dtype) * x[..., :, i:i + w] for i in range(k))
