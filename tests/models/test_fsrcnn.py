import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax import models


def test_param_count_matches_paper(param_count):
  model = models.build_model("fsrcnn", scale=3, channels=1)
  # The published 12,464 counts convolution weights only:
  # 5²·56 + 56·12 + 4·3²·12² + 12·56 + 9²·56.
  assert param_count(model, leaf="kernel") == 12_464
  # Plus 173 biases (56 + 12 + 4·12 + 56 + 1) and 172 per-channel PReLU slopes.
  assert param_count(model) == 12_464 + 173 + 172


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_output_is_exactly_scale_times_input(output_shape, scale, channels):
  model = models.build_model("fsrcnn", scale=scale, channels=channels)
  assert output_shape(model, 7, 10) == ((1, 7 * scale, 10 * scale, channels), jnp.float32)


def test_bf16_forward_is_finite(jit_forward):
  model = models.build_model("fsrcnn", scale=4, channels=3, dtype=jnp.bfloat16)
  out = jit_forward(model, 8, 8)
  assert out.shape == (1, 32, 32, 3) and out.dtype == jnp.float32
  assert np.isfinite(np.asarray(out)).all()
