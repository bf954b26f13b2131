import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax import models


@pytest.mark.parametrize("scale,millions", [(2, 22.12), (4, 22.27)])
def test_param_count_matches_published(param_count, scale, millions):
  count = param_count(models.build_model("rdn", scale=scale))
  assert round(count / 1e6, 2) == millions


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_output_shape(output_shape, scale, channels):
  model = models.build_model("rdn", scale=scale, channels=channels, num_blocks=2, num_layers=2)
  assert output_shape(model, 8, 12) == ((1, 8 * scale, 12 * scale, channels), jnp.float32)


def test_bf16_forward_is_finite(jit_forward):
  model = models.build_model("rdn", scale=3, num_blocks=1, num_layers=2, dtype=jnp.bfloat16)
  out = jit_forward(model, 8, 8)
  assert out.shape == (1, 24, 24, 3) and out.dtype == jnp.float32
  assert np.isfinite(np.asarray(out)).all()
