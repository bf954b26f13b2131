import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax import models


def test_param_count_matches_basicsr(param_count):
  # BasicSR's RRDBNet(num_feat=64, num_block=23, num_grow_ch=32), ×4: 16,697,987.
  assert param_count(models.build_model("rrdbnet", scale=4)) == 16_697_987


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("scale", [2, 3, 4, 8])
def test_output_shape(output_shape, scale, channels):
  model = models.build_model("rrdbnet", scale=scale, channels=channels, num_blocks=1)
  assert output_shape(model, 8, 12) == ((1, 8 * scale, 12 * scale, channels), jnp.float32)


def test_bf16_forward_is_finite(jit_forward):
  model = models.build_model("rrdbnet", scale=4, num_blocks=1, dtype=jnp.bfloat16)
  out = jit_forward(model, 8, 8)
  assert out.shape == (1, 32, 32, 3) and out.dtype == jnp.float32
  assert np.isfinite(np.asarray(out)).all()
