import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax import models


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_param_count(param_count, scale):
  model = models.build_model("espcn", scale=scale, channels=1)
  weights = 5 * 5 * 64 + 3 * 3 * 64 * 32 + 3 * 3 * 32 * scale**2
  assert param_count(model) == weights + 64 + 32 + scale**2


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_output_shape(output_shape, scale, channels):
  model = models.build_model("espcn", scale=scale, channels=channels)
  assert output_shape(model, 8, 12) == ((1, 8 * scale, 12 * scale, channels), jnp.float32)


def test_bf16_forward_is_finite(jit_forward):
  model = models.build_model("espcn", scale=3, channels=3, dtype=jnp.bfloat16)
  out = jit_forward(model, 8, 8)
  assert out.shape == (1, 24, 24, 3) and out.dtype == jnp.float32
  assert np.isfinite(np.asarray(out)).all()
