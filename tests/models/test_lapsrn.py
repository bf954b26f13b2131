import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax import models
from sr_jax.models import lapsrn


def _lapsrn_weights(levels, depth=10, channels=1):
  # Official layout: input conv, per level depth convs + 3×3 upconv + residual conv + 4×4 image up.
  level = depth * 9 * 64 * 64 + 9 * 64 * 64 + 9 * 64 * channels + 16 * channels * channels
  return 9 * channels * 64 + levels * level


@pytest.mark.parametrize("scale,levels", [(2, 1), (4, 2), (8, 3)])
def test_param_count(param_count, scale, levels):
  # No count in published-numbers.md (IMDN's "251K at ×2" does not match depth 10).
  model = models.build_model("lapsrn", scale=scale, channels=1)
  assert param_count(model, leaf="kernel") == _lapsrn_weights(levels)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("scale", [2, 3, 4, 8])
def test_output_shape(output_shape, scale, channels):
  model = models.build_model("lapsrn", scale=scale, channels=channels, depth=1)
  assert output_shape(model, 8, 12) == ((1, 8 * scale, 12 * scale, channels), jnp.float32)


@pytest.mark.parametrize("scale,sizes", [(2, [2]), (3, [3]), (4, [2, 4]), (8, [2, 4, 8])])
def test_training_returns_every_level_coarse_to_fine(output_shape, scale, sizes):
  model = models.build_model("lapsrn", scale=scale, channels=3, depth=1)
  shapes = output_shape(model, 5, 6, train=True)
  assert [s for s, _ in shapes] == [(1, 5 * f, 6 * f, 3) for f in sizes]


def test_image_branch_starts_as_bilinear_upsampling():
  # A linear ramp stays a ramp, sampled at pixel centres, away from the zero-padded border.
  x = jnp.tile(jnp.arange(8.0), (8, 1))[None, :, :, None]
  kernel = lapsrn._bilinear_init(2)(None, (4, 4, 1, 1))
  up = jax.lax.conv_transpose(x, kernel, (2, 2), ((2, 2), (2, 2)))
  np.testing.assert_allclose(up[0, 8, 1:-1, 0], (np.arange(1, 15) + 0.5) / 2 - 0.5, atol=1e-6)
  assert lapsrn.bilinear_kernel(2)[0].tolist() == [0.0625, 0.1875, 0.1875, 0.0625]


def test_bf16_forward_is_finite(jit_forward):
  model = models.build_model("lapsrn", scale=4, channels=1, depth=2, dtype=jnp.bfloat16)
  out = jit_forward(model, 8, 8)
  assert out.shape == (1, 32, 32, 1) and out.dtype == jnp.float32
  assert np.isfinite(np.asarray(out)).all()
