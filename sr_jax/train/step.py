"""Train state and the pure train step that `jax.jit` compiles with explicit shardings."""
import functools
from typing import Any, Callable

import flax
import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

from sr_jax.ops import imresize


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


def keep_if_finite(finite: jax.Array, new, old):
  """`new` where this step's losses and gradients are finite; else `old` with only the step
  advanced, so the next step draws fresh keys.

  The whole state reverts: parameters, optimizer moments, EMA, BatchNorm statistics, the
  pool, a GAN's discriminator. optax.apply_if_finite guards the optimizer's update alone and
  would let a NaN forward pass into the BatchNorm statistics. Detected on the device, so the
  host never waits on a step; the `nonfinite` metric reports it at log time.
  """
  return jax.tree.map(lambda n, o: jnp.where(finite, n, o), new, old).replace(step=new.step)


def multi_level_loss(loss_fn: Callable, outputs, hr: jax.Array) -> jax.Array:
  """Sum of the loss at every output level (LapSRN); HR is bicubic-resized to each level."""
  outputs = outputs if isinstance(outputs, (tuple, list)) else (outputs,)
  total = 0.0
  for out in outputs:
    target = hr if out.shape == hr.shape else imresize.resize_jax(
        hr, out.shape[1] / hr.shape[1], out_hw=out.shape[1:3])
    total = total + loss_fn(out, target)
  return total


def make_train_step(model: nn.Module, tx: optax.GradientTransformation,
                    schedule: optax.Schedule, loss_fn: Callable, ema_decay: float,
                    prepare_batch: Callable = host_pairs):
  """step(state, batch) → (state, metrics).

  prepare_batch(batch, key, pool) → ({'lr', 'hr'[, 'gt'], float in [0, 1]}, new pool) turns the
  host batch into model input and loss target inside jit (`sr_jax.train.inputs`). A step whose
  loss or gradient is not finite changes nothing but the step (`keep_if_finite`); metrics
  include `nonfinite` (1.0 for such a step).
  """

  def train_step(state: TrainState, batch):
    inputs, pool = prepare_batch(batch, step_key(state), state.pool)
    lr, hr = inputs["lr"], inputs["hr"]
    mutable = list(state.model_state) or False

    def loss_of(params):
      variables = {"params": params, **state.model_state}
      out = model.apply(variables, lr, train=True, mutable=mutable)
      outputs, model_state = out if mutable else (out, state.model_state)
      return multi_level_loss(loss_fn, outputs, hr), model_state

    (loss, model_state), grads = jax.value_and_grad(loss_of, has_aux=True)(state.params)
    updates, opt_state = tx.update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, scaled(updates, state.lr_scale))
    ema = state.ema_params
    if ema is not None:
      ema = optax.incremental_update(params, ema, 1.0 - ema_decay)
    grad_norm = optax.tree.norm(grads)
    finite = all_finite(loss, grad_norm)
    metrics = {"loss": loss, "learning_rate": schedule(state.step) * state.lr_scale,
               "grad_norm": grad_norm, "nonfinite": 1.0 - finite.astype(jnp.float32)}
    new_state = state.replace(step=state.step + 1, params=params, model_state=model_state,
                              opt_state=opt_state, ema_params=ema, pool=pool)
    return keep_if_finite(finite, new_state, state), metrics

  return train_step


def eval_params(state: TrainState):
  """What evaluation uses: the EMA when there is one."""
  return state.ema_params if state.ema_params is not None else state.params
