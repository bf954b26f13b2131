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

`separable_valid` filters image planes (SSIM's Gaussian window, IFC/VIF's) as sums of shifted
slices rather than one-channel convolutions, for the same reason.
"""
import jax
from jax import lax
import jax.numpy as jnp
import numpy as np


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
  """`lax.conv_general_dilated`; a pointwise case (above) is a `dot_general` over channels, a
  grouped one on CPU one convolution per group."""
  spatial = rhs.ndim - 2
  ones = (1,) * spatial
  plain = (dimension_numbers is not None and _channels_last(dimension_numbers, lhs.ndim)
           and tuple(window_strides) == ones and tuple(lhs_dilation or ones) == ones
           and batch_group_count == 1)
  if (plain and feature_group_count > 1 and rhs.shape[-2] > 1
      and jax.default_backend() == "cpu"):
    return jnp.concatenate([
        conv_general_dilated(x, k, window_strides, padding, rhs_dilation=rhs_dilation,
                             dimension_numbers=dimension_numbers, precision=precision,
                             preferred_element_type=preferred_element_type)
        for x, k in zip(jnp.split(lhs, feature_group_count, axis=-1),
                        jnp.split(rhs, feature_group_count, axis=-1))], axis=-1)
  pointwise = (plain and rhs.shape[:spatial] == ones and tuple(rhs_dilation or ones) == ones
               and feature_group_count == 1 and _no_padding(padding, spatial))
  if not pointwise:
    return lax.conv_general_dilated(
        lhs, rhs, window_strides, padding, lhs_dilation=lhs_dilation, rhs_dilation=rhs_dilation,
        dimension_numbers=dimension_numbers, feature_group_count=feature_group_count,
        batch_group_count=batch_group_count, precision=precision,
        preferred_element_type=preferred_element_type)
  kernel = rhs.reshape(rhs.shape[-2:])
  return lax.dot_general(lhs, kernel, (((lhs.ndim - 1,), (0,)), ((), ())), precision=precision,
                         preferred_element_type=preferred_element_type)


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
