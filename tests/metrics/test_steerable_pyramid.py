"""The sp5 steerable pyramid against pyrtools, which runs matlabPyrTools' own corrDn C code."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax.metrics import steerable_pyramid as sp

pyrtools = pytest.importorskip("pyrtools", reason="the reference pyramid is pyrtools'")


def _reference(image):
  return pyrtools.pyramids.SteerablePyramidSpace(image, height=4, order=5, edge_type="reflect1")


def test_every_band_matches_matlabpyrtools_on_an_odd_sized_image():
  # 75×90: odd sizes exercise ceil-halving and the reflect1 borders at every level; float64,
  # so a wrong tap, transposed filter or edge rule shows far above the 1e-9 tolerance.
  image = np.random.default_rng(0).random((75, 90)) * 255
  ref = _reference(image)
  with jax.enable_x64(True):
    mine = jax.jit(sp.build, static_argnums=1)(jnp.asarray(image), 4)
  np.testing.assert_allclose(mine["highpass"], ref.pyr_coeffs["residual_highpass"], atol=1e-9)
  for level in range(4):
    for band in range(6):
      np.testing.assert_allclose(mine["bands"][level][band], ref.pyr_coeffs[(level, band)],
                                 atol=1e-9, err_msg=f"level {level} orientation {band}")
  np.testing.assert_allclose(mine["lowpass"], ref.pyr_coeffs["residual_lowpass"], atol=1e-9)


def test_traced_size_inside_a_padded_buffer_gives_the_same_bands():
  image = np.random.default_rng(1).random((75, 90)) * 255
  ref = _reference(image)
  buffer = np.pad(image, ((0, 21), (0, 6)), constant_values=1e4)  # junk must never be read
  with jax.enable_x64(True):
    build = jax.jit(lambda x, s: sp.build(x, 4, (s[0], s[1]), orientations=(0, 3)))
    mine = build(jnp.asarray(buffer), jnp.array([75, 90]))
  for level in range(4):
    h, w = ref.pyr_coeffs[(level, 0)].shape
    np.testing.assert_array_equal(mine["sizes"][level], (h, w))
    for i, band in enumerate((0, 3)):
      np.testing.assert_allclose(mine["bands"][level][i, :h, :w], ref.pyr_coeffs[(level, band)],
                                 atol=1e-9)


def test_height_limit_is_matlabs():
  assert sp.max_height((72, 500)) == 4 and sp.max_height((71, 500)) == 3
  assert sp.min_side(4) == 72
  with pytest.raises(ValueError, match="at most 3"):
    sp.build(jnp.zeros((71, 80)), 4)
