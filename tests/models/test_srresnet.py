import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax import models


def test_msrresnet_param_count_matches_basicsr(param_count):
  # BasicSR MSRResNet, num_feat 64, num_block 16, ×4: 1,517,571 (the "1.52M").
  assert param_count(models.build_model("msrresnet", scale=4)) == 1_517_571


def test_srresnet_param_count(param_count):
  # "1.5M" (EDSR paper, Table 1); 9×9 head/tail, BN scale+bias, one PReLU slope per layer.
  count = param_count(models.build_model("srresnet", scale=4))
  assert count == 1_549_462
  assert round(count / 1e6, 1) == 1.5


@pytest.mark.parametrize("name", ["srresnet", "msrresnet"])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_output_shape(output_shape, name, scale, channels):
  model = models.build_model(name, scale=scale, channels=channels, num_blocks=2)
  assert output_shape(model, 8, 12) == ((1, 8 * scale, 12 * scale, channels), jnp.float32)


def test_srresnet_batch_stats_update_only_in_training():
  model = models.build_model("srresnet", scale=2, num_blocks=1)
  x = jnp.linspace(0, 1, 1 * 6 * 6 * 3).reshape(1, 6, 6, 3)

  @jax.jit
  def run(key):
    variables = model.init(key, x)
    out, updates = model.apply(variables, x, train=True, mutable=["batch_stats"])
    # Inference needs no mutable collection.
    return variables, out, updates, model.apply(variables, x)

  variables, out, updates, _ = run(jax.random.key(0, impl="unsafe_rbg"))
  assert set(variables) == {"params", "batch_stats"}
  assert out.shape == (1, 12, 12, 3)
  moved = jax.tree.map(lambda a, b: bool(jnp.any(a != b)),
                       variables["batch_stats"], updates["batch_stats"])
  assert all(jax.tree.leaves(moved))


@pytest.mark.parametrize("name", ["srresnet", "msrresnet"])
def test_bf16_forward_is_finite(jit_forward, name):
  model = models.build_model(name, scale=4, channels=3, num_blocks=1, dtype=jnp.bfloat16)
  out = jit_forward(model, 8, 8)
  assert out.shape == (1, 32, 32, 3) and out.dtype == jnp.float32
  assert np.isfinite(np.asarray(out)).all()
