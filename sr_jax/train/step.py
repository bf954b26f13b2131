"""The train state and the update tail every training mode shares (sr_jax.train.modes).

A mode's step computes its losses and gradients; `update` applies the generator's optimizer
(scaled by `lr_scale`) and its EMA, and `finish` keeps the new state only where every loss and
gradient is finite and adds the metrics every mode logs. So the optimizer, the EMA, the
non-finite guard and the common metrics are written once.
"""
import functools
import math
from typing import Any

import flax
import flax.linen as nn
import jax
import jax.numpy as jnp
import optax


@flax.struct.dataclass
class TrainState:
  step: jax.Array
  params: Any
  model_state: Any  # non-parameter collections, e.g. BatchNorm's batch_stats
  opt_state: Any
  ema_params: Any  # None when the EMA is off
  rng: jax.Array  # raw key data (uint32), checkpointable as a plain array
  lr_scale: jax.Array  # multiplies every update; the 'restore' non-finite policy lowers it
  pool: Any = None  # Real-ESRGAN's training-pair pool (degradations.Pool) when the step degrades


def init_state(model: nn.Module, tx: optax.GradientTransformation, lr_shape, seed: int,
               use_ema: bool, pool=None) -> TrainState:
  rng = jax.random.key(seed)
  init_rng, rng = jax.random.split(rng)
  variables = model.init(init_rng, jnp.zeros(lr_shape, jnp.float32))
  params = variables.pop("params")
  return TrainState(step=jnp.zeros((), jnp.int32), params=params, model_state=variables,
                    opt_state=tx.init(params), ema_params=params if use_ema else None,
                    rng=jax.random.key_data(rng), lr_scale=jnp.ones((), jnp.float32), pool=pool)


def to_unit(x: jax.Array) -> jax.Array:
  return x.astype(jnp.float32) / 255.0


def step_key(state) -> jax.Array:
  """This step's key: the state's key folded with the step, so a resumed run draws the same."""
  return jax.random.fold_in(jax.random.wrap_key_data(state.rng), state.step)


def host_pairs(batch, key, pool):
  """The default `prepare_batch`: pairs made on the host, uint8 → [0, 1]."""
  del key
  return jax.tree.map(to_unit, batch), pool


def all_finite(*trees) -> jax.Array:
  """One on-device bool: every leaf of every tree is finite (integer leaves always are)."""
  checks = (jnp.all(jnp.isfinite(x)) for x in jax.tree.leaves(trees))
  return functools.reduce(jnp.logical_and, checks, jnp.array(True))


def scaled(updates, lr_scale: jax.Array):
  """Updates × lr_scale: Adam's and SGD's updates are linear in the learning rate, so this
  lowers the learning rate without rebuilding (and recompiling) the optimizer."""
  return jax.tree.map(lambda u: u * lr_scale.astype(u.dtype), updates)


# The EMA warms up: its decay at step t is min(decay, (1 + t) / (10 + t)) (as TensorFlow's
# ExponentialMovingAverage with num_updates), so early on it follows the weights instead of
# holding on to the random initialisation (with a fixed 0.999, the init still weighs 13.5% at
# step 2,000). The warm-up ends where (1 + t) / (10 + t) reaches the decay (t = 8,991 for 0.999);
# from there it is the plain EMA, and by the end of a 10⁵-10⁶-step recipe the steps the warm-up
# weighted differently weigh less than 0.999^90,000 ≈ 10⁻³⁹.
EMA_WARMUP = 10.0


def ema_decay_at(step: jax.Array, decay: float) -> jax.Array:
  return jnp.minimum(decay, (1.0 + step) / (EMA_WARMUP + step))


def ema_warmup_steps(decay: float) -> int:
  """The first step at which the warm-up no longer lowers the decay."""
  return max(0, math.ceil((EMA_WARMUP * decay - 1.0) / (1.0 - decay) - 1e-9))


def update(state: TrainState, grads, tx: optax.GradientTransformation, ema_decay: float) -> dict:
  """The generator's new params, opt_state and ema_params after `grads` (fields to replace)."""
  updates, opt_state = tx.update(grads, state.opt_state, state.params)
  params = optax.apply_updates(state.params, scaled(updates, state.lr_scale))
  ema = state.ema_params
  if ema is not None:
    ema = optax.incremental_update(params, ema, 1.0 - ema_decay_at(state.step, ema_decay))
  return {"params": params, "opt_state": opt_state, "ema_params": ema}


def keep_if_finite(finite: jax.Array, new, old):
  """`new` where this step's losses and gradients are finite; else `old` with only the step
  advanced, so the next step draws fresh keys.

  The whole state reverts: parameters, optimizer moments, EMA, BatchNorm statistics, the
  pool, a GAN's discriminator. optax.apply_if_finite guards the optimizer's update alone and
  would let a NaN forward pass into the BatchNorm statistics. Detected on the device, so the
  host never waits on a step; the `nonfinite` metric reports it at log time.
  """
  return jax.tree.map(lambda n, o: jnp.where(finite, n, o), new, old).replace(step=new.step)


def finish(state: TrainState, changes: dict, metrics: dict, grads, schedule: optax.Schedule,
           *guarded) -> tuple[TrainState, dict]:
  """The step's end, for every mode: the state with `changes` and the step advanced, kept only
  if the losses in `metrics`, `grads` and any `guarded` values are all finite; metrics plus
  learning_rate, grad_norm and nonfinite (1.0 for a skipped step)."""
  grad_norm = optax.tree.norm(grads)
  finite = all_finite(metrics, grad_norm, *guarded)
  metrics = {**metrics, "learning_rate": schedule(state.step) * state.lr_scale,
             "grad_norm": grad_norm, "nonfinite": 1.0 - finite.astype(jnp.float32)}
  new_state = state.replace(step=state.step + 1, **changes)
  return keep_if_finite(finite, new_state, state), metrics


def eval_params(state: TrainState, weights: str = "ema"):
  """The parameters to evaluate: the EMA when there is one and `weights` is 'ema', else the
  raw ones ('raw')."""
  return state.ema_params if weights == "ema" and state.ema_params is not None else state.params
