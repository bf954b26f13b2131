"""PSNR/SSIM against a float64 NumPy transcription of Wang et al.'s MATLAB ssim_index (its own
Gaussian window, checked against scikit-image); BT.601 Y worked by hand."""
import numpy as np
import jax.numpy as jnp
import pytest
from skimage.metrics import structural_similarity

from sr_jax.metrics import image_quality as iq


def _gaussian_window():
  """Wang et al.'s window, from its formula: exp(−(x² + y²)/(2σ²)) on the 11×11 grid x, y ∈
  {−5, …, 5}, σ = 1.5, normalised to sum 1 (MATLAB fspecial('gaussian', 11, 1.5))."""
  x = np.arange(-5, 6, dtype=np.float64)
  w = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * 1.5**2))
  return w / w.sum()


def _ssim_reference(a, b):
  """Direct 11×11 windowed sums, float64, 'valid' region (MATLAB filter2(..., 'valid'))."""
  w = _gaussian_window()
  win = np.lib.stride_tricks.sliding_window_view
  def filt(x):
    return np.einsum("ijkl,kl->ij", win(x, (11, 11)), w)
  mu_a, mu_b = filt(a), filt(b)
  va, vb = filt(a * a) - mu_a**2, filt(b * b) - mu_b**2
  cov = filt(a * b) - mu_a * mu_b
  c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
  return np.mean((2 * mu_a * mu_b + c1) * (2 * cov + c2) / ((mu_a**2 + mu_b**2 + c1) * (va + vb + c2)))


def _y(rgb):
  return 16 + rgb.astype(np.float64) @ np.array([65.481, 128.553, 24.966]) / 255


def test_y_channel_is_bt601():
  """MATLAB rgb2ycbcr's Y = 16 + 65.481·R + 128.553·G + 24.966·B, R, G, B in [0, 1], worked by
  hand for pixels that tell the three weights apart (a swap of any two changes Y by ≥ 40)."""
  rgb = [[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 255, 0], [0, 0, 255], [51, 102, 204]]
  expected = [16.0, 235.0,
              16 + 65.481,  # 81.481
              16 + 128.553,  # 144.553
              16 + 24.966,  # 40.966
              16 + 65.481 * 0.2 + 128.553 * 0.4 + 24.966 * 0.8]  # 16 + 13.0962 + 51.4212 + 19.9728
  np.testing.assert_allclose(expected[2:], [81.481, 144.553, 40.966, 100.4902], rtol=1e-12)
  # float32: 9 roundings (the 3 weights /255, 3 products, 3 additions), each of a quantity below
  # 256 and so off by at most 256·2⁻²⁴ ≈ 1.5e-5: 9 · 1.5e-5 ≈ 1.4e-4 bounds the total.
  np.testing.assert_allclose(iq.rgb_to_y(jnp.array(rgb, jnp.float32)), expected, rtol=0,
                             atol=1.4e-4)


def test_psnr_and_ssim_match_reference_inside_padding():
  rng = np.random.default_rng(1)
  h, w, crop = 30, 37, 3
  hr = rng.integers(0, 256, (h, w, 3)).astype(np.uint8)
  sr = np.clip(hr.astype(int) + rng.integers(-20, 21, hr.shape), 0, 255).astype(np.uint8)
  pad = lambda x: np.pad(x, ((0, 10), (0, 3), (0, 0)), constant_values=200)[None]
  out = iq.image_quality(jnp.asarray(pad(sr)), jnp.asarray(pad(hr)), jnp.array([[h, w]]), crop)

  ya, yb = _y(sr)[crop:-crop, crop:-crop], _y(hr)[crop:-crop, crop:-crop]
  psnr_y = 10 * np.log10(255**2 / np.mean((ya - yb) ** 2))
  c = (slice(crop, -crop), slice(crop, -crop))
  psnr_rgb = 10 * np.log10(255**2 / np.mean((sr[c].astype(float) - hr[c]) ** 2))
  np.testing.assert_allclose(out["psnr_y"][0], psnr_y, atol=1e-3)
  np.testing.assert_allclose(out["psnr_rgb"][0], psnr_rgb, atol=1e-3)
  # The reference agrees with scikit-image's implementation of the same definition (float64).
  assert _ssim_reference(ya, yb) == pytest.approx(structural_similarity(
      ya, yb, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255),
      abs=1e-12)
  # float32: each 11-tap pass of the separable filter sums positive-weighted terms, so a filtered
  # second moment is off by ≤ 22·2⁻²⁴ ≈ 1.3e-6 of itself; centred on the image mean, variances
  # and covariance keep that relative error (≈ 2e-6), and SSIM ≈ 0.99, a ratio of two such
  # terms, moves by ≤ 5e-6 (seen: 4e-7). A window of σ = 1.6 instead of 1.5 moves it 6e-5.
  np.testing.assert_allclose(out["ssim_y"][0], _ssim_reference(ya, yb), rtol=0, atol=5e-6)


def test_constant_error_gives_known_psnr_and_one_channel_is_y():
  hr = np.full((1, 20, 20, 1), 100, np.uint8)
  out = iq.image_quality(jnp.asarray(hr + 5), jnp.asarray(hr), jnp.array([[20, 20]]), 2)
  np.testing.assert_allclose(out["psnr_y"][0], 20 * np.log10(255 / 5), atol=1e-4)
  assert "psnr_rgb" not in out
  same = iq.image_quality(jnp.asarray(hr), jnp.asarray(hr), jnp.array([[20, 20]]), 2)
  np.testing.assert_allclose(same["ssim_y"][0], 1.0, atol=1e-6)


def test_quantize_clips_and_rounds():
  np.testing.assert_array_equal(iq.quantize(jnp.array([-0.1, 0.5, 1.2, 0.1])), [0, 128, 255, 26])
