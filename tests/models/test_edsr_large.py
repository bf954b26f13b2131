"""EDSR proper (32 blocks, 256 features, residual scaling 0.1) is the `edsr` module."""
import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax import models

LARGE = dict(num_blocks=32, features=256, res_scale=0.1)


@pytest.mark.parametrize("scale,millions", [(2, 40.7), (3, 43.7), (4, 43.1)])
def test_param_count_matches_paper(param_count, scale, millions):
  count = param_count(models.build_model("edsr", scale=scale, **LARGE))
  assert round(count / 1e6, 1) == millions


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_output_shape(output_shape, scale):
  model = models.build_model("edsr", scale=scale, num_blocks=2, features=256, res_scale=0.1)
  assert output_shape(model, 8, 12) == ((1, 8 * scale, 12 * scale, 3), jnp.float32)


def test_bf16_forward_is_finite(jit_forward):
  model = models.build_model("edsr", scale=2, num_blocks=1, features=256, res_scale=0.1,
                             dtype=jnp.bfloat16)
  out = jit_forward(model, 8, 8)
  assert out.shape == (1, 16, 16, 3) and out.dtype == jnp.float32
  assert np.isfinite(np.asarray(out)).all()
