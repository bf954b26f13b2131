"""The update tail every mode shares (through the supervised mode's step): a non-finite step changes
nothing but the step; lr_scale scales updates; the EMA warms up."""
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from sr_jax.train import step as step_lib
from sr_jax.train.modes import supervised


class TinyNet(nn.Module):
  """Conv, BatchNorm (so the state has statistics a NaN forward would poison), ×2 upsampling."""

  @nn.compact
  def __call__(self, x, train: bool = False):
    x = nn.BatchNorm(use_running_average=not train)(nn.Conv(4, (3, 3))(x))
    x = jax.image.resize(x, (x.shape[0], 2 * x.shape[1], 2 * x.shape[2], x.shape[3]), "nearest")
    return nn.Conv(3, (3, 3))(x)


def _floats(batch, key, pool):
  """prepare_batch for float batches, which (unlike the uint8 ones) can hold NaN."""
  del key
  return batch, pool


def _l2(outputs, hr, vgg_variables, step):
  del vgg_variables, step
  return {"pixel": jnp.mean((outputs - hr) ** 2)}


def _batch(seed=0, bad=None):
  hr = jax.random.uniform(jax.random.key(seed), (2, 8, 8, 3))
  lr = hr[:, ::2, ::2]
  if bad is not None:
    lr = lr.at[0, 1, 2, 0].set(bad)
  return {"lr": lr, "hr": hr}


def _setup(tx, lr_scale=1.0):
  model = TinyNet()
  state = step_lib.init_state(model, tx, (1, 4, 4, 3), seed=0, use_ema=True)
  step = jax.jit(supervised.make_step(model, tx, optax.constant_schedule(1e-2), _l2,
                                      {"pixel": 1.0}, 0.9, _floats))
  return state.replace(lr_scale=jnp.float32(lr_scale)), lambda s, b: step(s, b, {})


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nonfinite_step_changes_nothing_but_the_step(bad):
  state, step = _setup(optax.adam(1e-2))
  new, metrics = step(state, _batch(bad=bad))
  assert not np.isfinite(metrics["loss"]) and float(metrics["nonfinite"]) == 1.0
  assert int(new.step) == 1
  # Parameters, Adam's moments and count, EMA, BatchNorm statistics, key: bit for bit.
  jax.tree.map(np.testing.assert_array_equal, new.replace(step=state.step), state)

  newer, metrics = step(new, _batch(seed=1))
  assert float(metrics["nonfinite"]) == 0.0 and np.isfinite(metrics["loss"])
  assert int(newer.step) == 2
  for field in ("params", "opt_state", "ema_params", "model_state"):
    changed = jax.tree.map(lambda a, b: not np.array_equal(a, b),
                           getattr(newer, field), getattr(new, field))
    assert any(jax.tree.leaves(changed)), field


@pytest.mark.parametrize("tx", [optax.sgd(1e-2), optax.adam(1e-2)], ids=["sgd", "adam"])
def test_lr_scale_scales_the_update_and_the_logged_learning_rate(tx):
  (full, step), (half, _) = _setup(tx), _setup(tx, lr_scale=0.5)
  after_full, m_full = step(full, _batch())
  after_half, m_half = step(half, _batch())
  # Updates are ~1e-4, parameters ~0.1: float32 rounding of p + u is ~1e-8.
  jax.tree.map(lambda p, f, h: np.testing.assert_allclose(h - p, 0.5 * (f - p), atol=3e-8),
               full.params, after_full.params, after_half.params)
  assert float(m_full["learning_rate"]) == pytest.approx(1e-2)
  assert float(m_half["learning_rate"]) == pytest.approx(5e-3)


def test_all_finite_reads_every_leaf():
  tree = {"a": jnp.ones(3), "n": jnp.arange(4), "b": [jnp.zeros((2, 2))], "none": None}
  assert bool(step_lib.all_finite(tree))
  assert bool(step_lib.all_finite())
  for bad in (np.nan, np.inf, -np.inf):
    assert not bool(step_lib.all_finite(tree, {"c": jnp.array([1.0, bad])}))


def test_ema_warms_up_then_is_the_plain_ema():
  decay = 0.999
  at = lambda t: float(step_lib.ema_decay_at(jnp.float32(t), decay))
  assert at(0) == pytest.approx(0.1) and at(90) == pytest.approx(0.91)  # (1 + t) / (10 + t)
  horizon = step_lib.ema_warmup_steps(decay)
  assert horizon == 8990  # (10·0.999 − 1) / (1 − 0.999)
  assert at(horizon) == pytest.approx(decay) and at(horizon - 1) < decay
  assert at(10 * horizon) == pytest.approx(decay)
  # The initial value's weight after 2,000 steps: Π (1 + t)/(10 + t) = 9!·2000!/2009! ≈ 7e-25
  # with the warm-up; 0.999^2000 = 13.5% without.
  kept = np.prod([at(t) for t in range(2000)])
  assert kept < 1e-20 and 0.999 ** 2000 == pytest.approx(0.135, abs=1e-3)


def test_the_step_applies_the_warmed_up_ema():
  state, step = _setup(optax.sgd(1e-2))
  new, _ = step(state, _batch())
  # Step 0: decay 0.1, so ema = 0.1 · ema + 0.9 · params.
  jax.tree.map(lambda e, p, e0: np.testing.assert_allclose(e, 0.1 * e0 + 0.9 * p, rtol=1e-6),
               new.ema_params, new.params, state.ema_params)
