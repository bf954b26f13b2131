import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax import models


def test_param_count(param_count):
  # No count in published-numbers.md; this pins the D-DBPN layout (7 stages, 256/64) at ×4.
  assert param_count(models.build_model("dbpn", scale=4)) == 10_426_358


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("scale", [2, 3, 4, 8])
def test_output_shape(output_shape, scale, channels):
  model = models.build_model("dbpn", scale=scale, channels=channels, num_stages=3)
  assert output_shape(model, 8, 12) == ((1, 8 * scale, 12 * scale, channels), jnp.float32)


def test_rejects_unsupported_scale(output_shape):
  with pytest.raises(ValueError, match="scales"):
    output_shape(models.build_model("dbpn", scale=5, num_stages=2))


def test_bf16_forward_is_finite(jit_forward):
  model = models.build_model("dbpn", scale=2, num_stages=3, features=32, base_features=16,
                             dtype=jnp.bfloat16)
  out = jit_forward(model, 8, 8)
  assert out.shape == (1, 16, 16, 3) and out.dtype == jnp.float32
  assert np.isfinite(np.asarray(out)).all()
