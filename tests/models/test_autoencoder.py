import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax import models


def test_param_count(param_count):
  model = models.build_model("autoencoder", scale=2, channels=3)
  conv = lambda cin, cout: 3 * 3 * cin * cout + cout
  # RED30: 15 encoder and 15 decoder layers of 64 features (no published count).
  assert param_count(model) == conv(3, 64) + 28 * conv(64, 64) + conv(64, 3)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_output_shape(output_shape, scale, channels):
  model = models.build_model("autoencoder", scale=scale, channels=channels)
  assert output_shape(model, 7, 9) == ((1, 7 * scale, 9 * scale, channels), jnp.float32)


def test_bf16_forward_is_finite(jit_forward):
  model = models.build_model("autoencoder", scale=2, channels=1, num_layers=5,
                             dtype=jnp.bfloat16)
  out = jit_forward(model, 8, 8)
  assert out.shape == (1, 16, 16, 1) and out.dtype == jnp.float32
  assert np.isfinite(np.asarray(out)).all()
