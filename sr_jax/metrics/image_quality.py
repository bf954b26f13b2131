"""PSNR and SSIM as the SR literature reports them, for padded batches under jit.

Protocol (RCAN/EDSR/SwinIR tables): SR output clipped and rounded to 8 bits; Y channel of
ITU-R BT.601 computed in floating point and not re-rounded; `crop` pixels removed from
every border; PSNR = 10·log10(255²/MSE); SSIM of Wang et al. 2004 (11×11 Gaussian window,
σ = 1.5, K = (0.01, 0.03), L = 255) over the valid region. Images in a batch are padded to a
common size; `sizes` gives each one's true (h, w) and masks restrict every mean to it, so
one compiled function serves every image of a size bucket.
"""
import jax.numpy as jnp
import numpy as np

from sr_jax.ops import color, conv

SSIM_WINDOW = 11
SSIM_SIGMA = 1.5


def rgb_to_y(rgb: jnp.ndarray) -> jnp.ndarray:
  """BT.601 luma in [16, 235] from RGB in [0, 255] (MATLAB `rgb2ycbcr`, first channel)."""
  w = jnp.asarray(color.Y_WEIGHTS, jnp.float32) / 255.0
  return 16.0 + jnp.einsum("...c,c->...", rgb.astype(jnp.float32), w, precision="highest")


def gaussian_window_1d(size: int = SSIM_WINDOW, sigma: float = SSIM_SIGMA) -> np.ndarray:
  x = np.arange(size, dtype=np.float64) - (size - 1) / 2
  g = np.exp(-(x**2) / (2 * sigma**2))
  return g / g.sum()


def _filter_valid(x: jnp.ndarray) -> jnp.ndarray:
  """Separable Gaussian filter of (N, H, W) planes, 'valid' output (N, H-10, W-10)."""
  return conv.separable_valid(x, gaussian_window_1d().astype(np.float32))


def _region_mask(shape_hw, sizes, crop: int, window: int = 1) -> jnp.ndarray:
  """(N, H', W') mask of positions whose `window`-wide footprint lies inside the cropped image."""
  rows = jnp.arange(shape_hw[0])[None, :]
  cols = jnp.arange(shape_hw[1])[None, :]
  h, w = sizes[:, 0:1], sizes[:, 1:2]
  row_ok = (rows >= crop) & (rows + window <= h - crop)
  col_ok = (cols >= crop) & (cols + window <= w - crop)
  return (row_ok[:, :, None] & col_ok[:, None, :]).astype(jnp.float32)


def _masked_mean(x, mask):
  axes = tuple(range(1, x.ndim))
  return jnp.sum(x * mask, axis=axes) / jnp.sum(mask, axis=axes)


def psnr_from_mse(mse):
  return 10.0 * jnp.log10(255.0**2 / mse)


def ssim_planes(a: jnp.ndarray, b: jnp.ndarray, sizes, crop: int) -> jnp.ndarray:
  """Mean SSIM of (N, H, W) planes in [0, 255] over each image's cropped valid region."""
  # Centre each image on its own mean: variances then come out of float32 accurately.
  shift = _masked_mean(a, _region_mask(a.shape[1:], sizes, crop))[:, None, None]
  a0, b0 = a - shift, b - shift
  mu_a, mu_b = _filter_valid(a0), _filter_valid(b0)
  var_a = _filter_valid(a0 * a0) - mu_a**2
  var_b = _filter_valid(b0 * b0) - mu_b**2
  cov = _filter_valid(a0 * b0) - mu_a * mu_b
  mu_a, mu_b = mu_a + shift, mu_b + shift
  c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
  ssim_map = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)
              / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)))
  mask = _region_mask(ssim_map.shape[1:], sizes, crop, window=SSIM_WINDOW)
  return _masked_mean(ssim_map, mask)


def quantize(sr: jnp.ndarray) -> jnp.ndarray:
  """SR output in [0, 1] → the 8-bit values the protocol measures, as float32."""
  return jnp.round(jnp.clip(sr.astype(jnp.float32), 0.0, 1.0) * 255.0)


def image_quality(sr_u8: jnp.ndarray, hr_u8: jnp.ndarray, sizes: jnp.ndarray,
                  crop: int) -> dict[str, jnp.ndarray]:
  """Per-image PSNR-Y, SSIM-Y (and PSNR-RGB) of 8-bit (N, H, W, C) batches padded to one size.

  C = 3: RGB; C = 1: the planes already are Y (Y-only models). sizes: (N, 2) true (h, w)
  of each image; crop: pixels removed from every border.
  """
  sr = sr_u8.astype(jnp.float32)
  hr = hr_u8.astype(jnp.float32)
  pixel_mask = _region_mask(sr.shape[1:3], sizes, crop)
  rgb = sr.shape[-1] == 3
  sr_y, hr_y = (rgb_to_y(sr), rgb_to_y(hr)) if rgb else (sr[..., 0], hr[..., 0])
  result = {
      "psnr_y": psnr_from_mse(_masked_mean((sr_y - hr_y) ** 2, pixel_mask)),
      "ssim_y": ssim_planes(sr_y, hr_y, sizes, crop),
  }
  if rgb:
    result["psnr_rgb"] = psnr_from_mse(_masked_mean(jnp.mean((sr - hr) ** 2, -1), pixel_mask))
  return result
