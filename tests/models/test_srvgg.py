"""SRVGGNetCompact: the released models' parameter counts, the nearest-neighbour base."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax import models


@pytest.mark.parametrize("num_conv,count", [(32, 1_213_296), (16, 621_424)])
def test_param_count_matches_the_released_models(param_count, num_conv, count):
  # realesr-general-x4v3 (num_conv 32) and realesr-animevideov3 (16), as inference_realesrgan.py
  # builds them: 3·64·9+64 + 64 (PReLU) + num_conv·(64·64·9+64 + 64) + 64·48·9+48.
  model = models.build_model("srvgg_compact", scale=4, features=64, num_conv=num_conv)
  assert param_count(model) == count


@pytest.mark.parametrize("scale", [3, 4])
def test_zero_weights_leave_the_nearest_upsampled_input(scale):
  model = models.build_model("srvgg_compact", scale=scale, features=8, num_conv=2)
  lr = jnp.asarray(np.random.default_rng(0).random((1, 5, 6, 3), np.float32))
  params = jax.eval_shape(model.init, jax.random.key(0), lr)["params"]
  params = jax.tree.map(lambda s: jnp.zeros(s.shape), params)
  out = np.asarray(jax.jit(model.apply)({"params": params}, lr))
  nearest = np.repeat(np.repeat(np.asarray(lr), scale, axis=1), scale, axis=2)
  np.testing.assert_array_equal(out, nearest)


def test_unknown_activation_is_refused(output_shape):
  model = models.build_model("srvgg_compact", features=8, num_conv=1, activation="gelu")
  with pytest.raises(ValueError, match="gelu"):
    output_shape(model)
