"""PSNR/SSIM against a float64 NumPy transcription of Wang et al.'s MATLAB ssim_index."""
import numpy as np
import jax.numpy as jnp

from sr_jax.metrics import image_quality as iq


def _ssim_reference(a, b):
  """Direct 11×11 windowed sums, float64, 'valid' region (MATLAB filter2(..., 'valid'))."""
  g = iq.gaussian_window_1d()
  w = np.outer(g, g)
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
  np.testing.assert_allclose(iq.rgb_to_y(jnp.array([[0.0, 0, 0], [255, 255, 255]])), [16, 235],
                             atol=1e-4)


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
  np.testing.assert_allclose(out["ssim_y"][0], _ssim_reference(ya, yb), atol=2e-5)


def test_constant_error_gives_known_psnr_and_one_channel_is_y():
  hr = np.full((1, 20, 20, 1), 100, np.uint8)
  out = iq.image_quality(jnp.asarray(hr + 5), jnp.asarray(hr), jnp.array([[20, 20]]), 2)
  np.testing.assert_allclose(out["psnr_y"][0], 20 * np.log10(255 / 5), atol=1e-4)
  assert "psnr_rgb" not in out
  same = iq.image_quality(jnp.asarray(hr), jnp.asarray(hr), jnp.array([[20, 20]]), 2)
  np.testing.assert_allclose(same["ssim_y"][0], 1.0, atol=1e-6)


def test_quantize_clips_and_rounds():
  np.testing.assert_array_equal(iq.quantize(jnp.array([-0.1, 0.5, 1.2, 0.1])), [0, 128, 255, 26])
