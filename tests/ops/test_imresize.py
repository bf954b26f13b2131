"""MATLAB imresize, checked against weights derived by hand from Keys' cubic (a = -0.5)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax.ops import imresize


def test_upscale_x2_uses_the_four_keys_phases():
  # Output pixel 5 of ×2 sits at u = 5/2 + 0.25 = 2.75: taps 1..4 at distances 1.75, 0.75,
  # 0.25, 1.25 → cubic values −0.0234375, 0.2265625, 0.8671875, −0.0703125.
  m = imresize.resize_matrix(8, 16, 2.0)
  np.testing.assert_allclose(m[4, :4], [-0.0234375, 0.2265625, 0.8671875, -0.0703125])
  np.testing.assert_allclose(m.sum(axis=1), 1.0)


def test_downscale_antialias_widens_the_kernel():
  # ×1/2: u = 2x − 0.5, kernel h(t) = cubic(t/2)/2 over 8 taps; interior row x = 4 → u = 7.5.
  m = imresize.resize_matrix(16, 8, 0.5)
  t = np.array([3.5, 2.5, 1.5, 0.5, 0.5, 1.5, 2.5, 3.5]) / 2
  cubic = np.where(t <= 1, 1.5 * t**3 - 2.5 * t**2 + 1, -0.5 * t**3 + 2.5 * t**2 - 4 * t + 2)
  np.testing.assert_allclose(m[3, 3:11], cubic / cubic.sum())


def test_borders_are_mirrored_symmetrically():
  # Row 0 of ×2: u = 0.75 → taps at positions −1..2 (1-based), i.e. mirror(−1)=2, mirror(0)=1.
  m = imresize.resize_matrix(6, 12, 2.0)
  u = 0.75
  taps = np.array([-1, 0, 1, 2])
  d = np.abs(u - taps)
  w = np.where(d <= 1, 1.5 * d**3 - 2.5 * d**2 + 1, -0.5 * d**3 + 2.5 * d**2 - 4 * d + 2)
  expected = np.zeros(6)
  for src, weight in zip([1, 0, 0, 1], w):  # 0-based: −1→1, 0→0, 1→0, 2→1
    expected[src] += weight
  np.testing.assert_allclose(m[0], expected / w.sum())


@pytest.mark.parametrize("size,scale,expected", [(7, 0.5, 4), (10, 1 / 3, 4), (9, 1 / 3, 3),
                                                 (5, 4, 20)])
def test_output_size_is_ceil(size, scale, expected):
  assert imresize.output_size(size, scale) == expected


def test_numpy_and_jax_agree_and_constants_survive():
  rng = np.random.default_rng(0)
  img = rng.uniform(0, 255, (13, 10, 3))
  for scale in (0.5, 1 / 3, 2, 3):
    ref = imresize.imresize(img, scale)
    out = np.asarray(imresize.resize_jax(jnp.asarray(img[None], jnp.float32), scale))[0]
    np.testing.assert_allclose(out, ref, atol=1e-3)
  flat = np.full((12, 9), 77.0)
  np.testing.assert_allclose(imresize.imresize(flat, 0.25), 77.0)


@pytest.mark.parametrize("method", ["bicubic", "bilinear", "nearest", "lanczos3"])
def test_symbolic_size_upscale_equals_the_matrices(method):
  """jax.export with a symbolic h, w (no matrix can be built) gathers the same weights."""
  spec = jax.ShapeDtypeStruct(jax.export.symbolic_shape("b, h, w, 3"), jnp.float32)
  for scale in (2, 3, 4):
    exported = jax.export.export(jax.jit(lambda x: imresize.resize_jax(x, scale, method)))(spec)
    assert str(exported.out_avals[0].shape) == f"(b, {scale}*h, {scale}*w, 3)"
    for shape in ((1, 1, 1, 3), (2, 2, 3, 3), (1, 7, 13, 3)):  # mirrored more than once at 1×1
      img = np.random.default_rng(sum(shape)).uniform(0, 1, shape).astype(np.float32)
      np.testing.assert_allclose(exported.call(img), imresize.resize_jax(img, scale, method),
                                 atol=5e-7)
      np.testing.assert_allclose(exported.call(img)[0], imresize.imresize(img[0], scale, method),
                                 atol=5e-7)


def test_symbolic_size_refuses_other_scales():
  spec = jax.ShapeDtypeStruct(jax.export.symbolic_shape("1, h, w, 3"), jnp.float32)
  with pytest.raises(ValueError, match="only an integer upscale, not 0.5"):
    jax.export.export(jax.jit(lambda x: imresize.resize_jax(x, 0.5)))(spec)


@pytest.mark.parametrize("method", ["bilinear", "area", "nearest", "lanczos2", "lanczos3"])
def test_other_kernels_preserve_constants(method):
  np.testing.assert_allclose(imresize.imresize(np.full((12, 8), 5.0), 0.5, method), 5.0)


def test_nearest_upscale_repeats_pixels():
  x = np.arange(6.0).reshape(2, 3)
  np.testing.assert_array_equal(imresize.imresize(x, 2, "nearest"),
                                np.repeat(np.repeat(x, 2, 0), 2, 1))


def test_to_uint8_rounds_half_up_and_clips():
  np.testing.assert_array_equal(imresize.to_uint8(np.array([-3, 0.5, 1.49, 254.5, 300])),
                                [0, 1, 1, 255, 255])
