"""CPU degradations: kernels against their formulas, noise statistics, libjpeg, BD/DN, seeds, the pool."""
import math

import numpy as np
import pytest
from scipy import special

from sr_jax.data import degradations as deg

SIZE = 21
C = (SIZE - 1) // 2


def _image(h=64, w=64, seed=0):
  """Smooth colour gradients plus texture: compressible but not trivial."""
  y, x = np.mgrid[0:h, 0:w] / max(h, w)
  rng = np.random.default_rng(seed)
  img = np.stack([x, y, 0.5 + 0.3 * np.sin(8 * x + 5 * y)], -1) + 0.05 * rng.standard_normal((h, w, 3))
  return np.clip(img, 0, 1).astype(np.float32)


@pytest.mark.parametrize("sigma", [0.5, 1.3, 3.0])
def test_isotropic_gaussian_matches_formula(sigma):
  k = deg.gaussian_kernel(SIZE, sigma, sigma, 0.0)
  z = sum(math.exp(-(i * i + j * j) / (2 * sigma**2)) for i in range(-C, C + 1) for j in range(-C, C + 1))
  for dy, dx in [(0, 0), (1, 0), (2, 3), (-4, 1), (10, -10)]:
    assert k[C + dy, C + dx] == pytest.approx(math.exp(-(dx * dx + dy * dy) / (2 * sigma**2)) / z, rel=1e-9)
  assert k.sum() == pytest.approx(1.0)


def _quad(sx, sy, theta):
  rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
  inv = np.linalg.inv(rot @ np.diag([sx**2, sy**2]) @ rot.T)
  r = np.arange(SIZE) - C
  xy = np.stack(np.meshgrid(r, r), -1)  # (..., [x, y]), x along columns
  return np.einsum("...i,ij,...j->...", xy, inv, xy)


@pytest.mark.parametrize("kind,fn", [
    ("gaussian", lambda q, b: np.exp(-0.5 * q)),
    ("generalized", lambda q, b: np.exp(-0.5 * q**b)),
    ("plateau", lambda q, b: 1 / (q**b + 1)),
])
def test_anisotropic_kernels_match_formulas(kind, fn):
  sx, sy, theta, beta = 2.5, 0.7, 0.6, 1.7
  expected = fn(_quad(sx, sy, theta), beta)
  expected /= expected.sum()
  k = {"gaussian": lambda: deg.gaussian_kernel(SIZE, sx, sy, theta),
       "generalized": lambda: deg.generalized_gaussian_kernel(SIZE, sx, sy, theta, beta),
       "plateau": lambda: deg.plateau_kernel(SIZE, sx, sy, theta, beta)}[kind]()
  np.testing.assert_allclose(k, expected, rtol=1e-9, atol=1e-15)
  assert k.sum() == pytest.approx(1.0)
  np.testing.assert_allclose(k, k[::-1, ::-1])  # point symmetric: correlation = convolution


def test_sinc_kernel_matches_formula():
  cutoff, size = 1.3, 13
  k = deg.sinc_kernel(size, cutoff)
  c = size // 2
  z = cutoff**2 / (4 * np.pi) / k[c, c]  # the normaliser
  for dy, dx in [(0, 1), (3, 4), (-6, 2)]:
    r = math.hypot(dx, dy)
    assert k[c + dy, c + dx] * z == pytest.approx(cutoff * special.j1(cutoff * r) / (2 * np.pi * r), rel=1e-9)
  assert k.sum() == pytest.approx(1.0)


def test_random_kernels_are_normalised_and_padded():
  cfg = deg.realesrgan_defaults()
  for seed in range(40):
    k = deg.random_kernel(np.random.default_rng(seed), cfg.first)
    assert k.shape == (21, 21) and k.dtype == np.float32
    assert k.sum() == pytest.approx(1.0, abs=1e-5)


def test_blur_drops_the_zero_padding_of_small_kernels_without_changing_the_result():
  small = deg.gaussian_kernel(7, 1.2, 0.6, 0.4).astype(np.float32)
  padded = np.pad(small, (SIZE - 7) // 2)
  np.testing.assert_array_equal(deg.trim_kernel(padded), small)
  assert deg.trim_kernel(deg.pulse_kernel()).shape == (1, 1)
  sinc = deg.sinc_kernel(SIZE, 1.0)  # nonzero out to its border: kept whole
  assert deg.trim_kernel(sinc).shape == (SIZE, SIZE)
  img = _image(40, 48)
  direct = np.stack([np.array([[np.sum(np.pad(img[..., c], 3, mode="reflect")[y:y + 7, x:x + 7] * small)
                                for x in range(48)] for y in range(40)]) for c in range(3)], -1)
  np.testing.assert_allclose(deg.blur(img, padded), direct, atol=1e-5)
  np.testing.assert_array_equal(deg.blur(img, deg.pulse_kernel()), img)


def test_gaussian_noise_statistics():
  img = np.full((128, 128, 3), 0.5, np.float32)
  sigma = 10 / 255
  noise = deg.add_gaussian_noise(img, sigma, False, np.random.default_rng(0)) - img
  assert abs(noise.mean()) < 0.05 * sigma
  assert noise.std() == pytest.approx(sigma, rel=0.05)
  gray = deg.add_gaussian_noise(img, sigma, True, np.random.default_rng(0)) - img
  np.testing.assert_array_equal(gray[..., 0], gray[..., 2])


def test_poisson_noise_statistics():
  img = np.full((128, 128, 3), 128 / 255, np.float32)
  img.reshape(-1)[:256] = np.arange(256) / 255  # 256 distinct levels → 256 photons per unit
  scale = 0.5
  noise = (deg.add_poisson_noise(img, scale, False, np.random.default_rng(0)) - img).reshape(-1)[256:]
  expected = scale * math.sqrt(128 / 255 * 256) / 256
  assert abs(noise.mean()) < 0.05 * expected
  assert noise.std() == pytest.approx(expected, rel=0.05)


def test_libjpeg_psnr_rises_with_quality():
  img = _image()
  psnr = [10 * np.log10(1 / np.mean((deg.jpeg(img, q) - np.round(img * 255) / 255)**2)) for q in (30, 50, 75, 95)]
  assert all(a < b for a, b in zip(psnr, psnr[1:])), psnr


def test_diffjpeg_psnr_rises_with_quality_and_keeps_float_values():
  img = _image(45, 50)  # padded to 48 × 64
  outs = [deg.diffjpeg(img, q) for q in (30.0, 50.0, 75.0, 95.0)]
  psnr = [10 * np.log10(1 / np.mean((o - img)**2)) for o in outs]
  assert all(a < b for a, b in zip(psnr, psnr[1:])), psnr
  assert all(o.shape == img.shape and o.dtype == np.float32 for o in outs)
  assert not np.allclose(outs[0] * 255, np.round(outs[0] * 255), atol=1e-3)  # not on the 8-bit grid
  np.testing.assert_array_equal(deg.diffjpeg(np.full((16, 16, 3), 0.5, np.float32), 40.0),
                                deg.diffjpeg(np.full((16, 16, 3), 0.5, np.float32), 40.0))


def test_diffjpeg_factor_is_basicsr_quality_to_factor():
  assert deg.diffjpeg_factor(50.0) == 1.0 and deg.diffjpeg_factor(25.0) == 2.0
  assert deg.diffjpeg_factor(95.0) == pytest.approx(0.1) and deg.diffjpeg_factor(30.0) == pytest.approx(5 / 3)


def test_crop_or_pad_reflects_bottom_right_and_crops_at_random():
  img = np.arange(5 * 7 * 1, dtype=np.uint8).reshape(5, 7, 1)
  out = deg.crop_or_pad(img, 6, np.random.default_rng(0))
  assert out.shape == (6, 6, 1)
  rows = np.r_[0:5, 3]  # reflect-101 below: row 5 = row 3
  left = [c for c in range(2) if np.array_equal(out, img[rows, c:c + 6])]
  assert left, out[..., 0]
  lr, gt = deg.paired_crop(np.zeros((10, 10, 3)), np.zeros((40, 40, 3)), (2, 5), 4, 4)
  assert lr.shape == (4, 4, 3) and gt.shape == (16, 16, 3)


def test_bd_dn_shapes_and_dn_noise():
  hr = np.full((96, 99, 3), 128, np.uint8)
  for name in ("bi", "bd", "dn"):
    assert deg.CLASSICAL[name](hr, 3, np.random.default_rng(0)).shape == (32, 33, 3)
  np.testing.assert_array_equal(deg.bd(hr, 3), 128)  # blur and resize keep a flat image flat
  lr = deg.dn(hr, 3).astype(np.float64)
  assert lr.std() == pytest.approx(30, rel=0.05)
  np.testing.assert_array_equal(deg.dn(hr, 3), deg.dn(hr, 3))  # fixed seed by default


def test_same_seed_same_lr_bits():
  cfg = deg.realesrgan_defaults()
  hr = (_image(48, 48) * 255).astype(np.uint8)
  runs = [deg.apply_cpu(hr, deg.sample_params(np.random.default_rng(7), cfg, hr.shape, 4)) for _ in range(2)]
  assert runs[0].shape == (12, 12, 3) and runs[0].dtype == np.uint8
  np.testing.assert_array_equal(*runs)


def test_params_have_fixed_structure():
  cfg = deg.realesrgan_defaults()
  a, b = (deg.sample_params(np.random.default_rng(s), cfg, (64, 64, 3), 4) for s in (0, 1))
  assert a.keys() == b.keys()
  for key in a:
    assert np.shape(a[key]) == np.shape(b[key]) and np.asarray(a[key]).dtype == np.asarray(b[key]).dtype, key


def test_usm_keeps_flat_images():
  img = np.full((32, 32, 3), 0.3, np.float32)
  np.testing.assert_allclose(deg.usm_sharpen(img), img, atol=1e-6)
