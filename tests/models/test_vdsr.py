import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax import models


def test_param_count_matches_paper(param_count):
  model = models.build_model("vdsr", scale=2, channels=1)
  # The published 664,704 counts convolution weights only: 9·64 + 18·64·64·9 + 64·9.
  assert param_count(model, leaf="kernel") == 664_704
  # With the 19·64 + 1 biases.
  assert param_count(model) == 665_921


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_output_shape(output_shape, scale, channels):
  model = models.build_model("vdsr", scale=scale, channels=channels)
  assert output_shape(model, 8, 12) == ((1, 8 * scale, 12 * scale, channels), jnp.float32)


def test_bf16_forward_is_finite(jit_forward):
  model = models.build_model("vdsr", scale=3, channels=1, depth=3, dtype=jnp.bfloat16)
  out = jit_forward(model, 8, 8)
  assert out.shape == (1, 24, 24, 1) and out.dtype == jnp.float32
  assert np.isfinite(np.asarray(out)).all()
