"""common.chain: the loop and the unrolled program compute the same chain of blocks."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax import models
from sr_jax.models import common

TINY = {
    "rrdbnet": dict(scale=4, num_blocks=3, features=8, growth=4),
    "edsr": dict(scale=2, num_blocks=3, features=8),
    "rcan": dict(scale=2, num_groups=2, num_blocks=3, features=8, reduction=4),
    "swinir": dict(scale=2, embed_dim=8, depths=(2, 2, 2), num_heads=(2, 2, 2), window_size=4,
                   upsample_features=8),
}


def _loops(model, params, lr, train=False) -> int:
  """While loops in the lowered program (unrolled blocks are straight-line calls)."""
  text = jax.jit(lambda x: model.apply({"params": params}, x, train=train)).lower(lr).as_text()
  return text.count("stablehlo.while")


@pytest.mark.parametrize("name", sorted(TINY))
def test_loop_and_unrolled_chains_agree_and_only_the_loop_mode_loops(name):
  loop = models.build_model(name, scan_mode="loop", **TINY[name])
  unrolled = models.build_model(name, scan_mode="unroll", **TINY[name])
  lr = jnp.asarray(np.random.default_rng(0).random((2, 8, 12, 3), np.float32))
  params = jax.jit(loop.init)(jax.random.key(0), lr)["params"]
  assert jax.tree.map(jnp.shape, params) == jax.tree.map(
      jnp.shape, jax.eval_shape(unrolled.init, jax.random.key(0), lr)["params"])  # one layout
  # Jitted: one compile each, where op-by-op dispatch of the unrolled blocks is slow on CPU.
  np.testing.assert_allclose(jax.jit(unrolled.apply)({"params": params}, lr),
                             jax.jit(loop.apply)({"params": params}, lr), atol=1e-5)
  assert _loops(loop, params, lr) > 0 and _loops(unrolled, params, lr) == 0


def test_auto_unrolls_only_training_passes_on_cpu_and_unknown_modes_are_refused():
  model = models.build_model("edsr", scale=2, num_blocks=3, features=8, scan_mode="auto")
  lr = jnp.zeros((1, 8, 8, 3))
  params = model.init(jax.random.key(0), lr)["params"]
  assert _loops(model, params, lr, train=False) > 0
  assert (_loops(model, params, lr, train=True) == 0) == (jax.default_backend() == "cpu")
  assert common.unroll_blocks("unroll", False) and not common.unroll_blocks("loop", True)
  with pytest.raises(ValueError, match="'fast'"):
    common.unroll_blocks("fast", True)
