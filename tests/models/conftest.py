"""Helpers for the model tests: parameter counts and output shapes without allocating
(jax.eval_shape), and one real jitted forward for small configurations."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest


def _lr(channels, h=8, w=8):
  return jnp.linspace(0.0, 1.0, h * w * channels, dtype=jnp.float32).reshape(1, h, w, channels)


@pytest.fixture
def param_count():
  """param_count(model, leaf=None): entries in the 'params' collection; leaf='kernel' counts
  only convolution/dense weights (no biases, slopes, norms)."""
  def count(model, leaf=None):
    shapes = jax.eval_shape(model.init, jax.random.key(0), _lr(model.channels))["params"]
    total = 0
    for path, x in jax.tree_util.tree_flatten_with_path(shapes)[0]:
      if leaf is None or path[-1].key == leaf:
        total += int(np.prod(x.shape))
    return total
  return count


@pytest.fixture
def output_shape():
  """output_shape(model, h, w, train=False): the forward's output shape(s), traced only."""
  def shape(model, h=8, w=8, train=False):
    def forward(x):
      variables = model.init(jax.random.key(0), x)
      return model.apply(variables, x, train=train, mutable=["batch_stats"] if train else False)
    out = jax.eval_shape(forward, _lr(model.channels, h, w))
    out = out[0] if train else out
    return jax.tree.map(lambda s: (s.shape, s.dtype), out)
  return shape


@pytest.fixture
def jit_forward():
  """jit_forward(model, h, w): the inference output of a real, jitted init.

  One compilation for init and forward, and an RBG key: threefry initialisers would
  dominate the compile time on a CPU.
  """
  def run(model, h=8, w=8):
    key = jax.random.key(0, impl="unsafe_rbg")
    out, _ = jax.jit(model.init_with_output)(key, _lr(model.channels, h, w))
    return out
  return run
