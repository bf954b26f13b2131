"""optax optimizer and learning-rate schedule from `config.optim`.

Every schedule counts absolute steps, as BasicSR's schedulers do: multistep milestones and cosine
cycles fall where the config says, warm-up or not. A warm-up (`warmup_steps`) replaces the first
steps' rate by a linear ramp from 0 (BasicSR's `warmup_iter`). `min_learning_rate` floors the
multistep and cosine schedules (MatConvNet's lr_min, BasicSR's eta_min).

`clip_adjustable` θ clips each gradient element to ±θ / lr(step), VDSR's "adjustable gradient
clipping" (large steps early, when the learning rate is high, stay bounded)."""
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax


def make_schedule(c, num_steps: int) -> optax.Schedule:
  lr = c.learning_rate
  if c.schedule == "constant":
    main = optax.constant_schedule(lr)
  elif c.schedule == "multistep":  # ×gamma at each milestone (BasicSR MultiStepLR), floored
    steps = optax.piecewise_constant_schedule(lr, {int(m): c.gamma for m in c.milestones})
    main = lambda step: jnp.maximum(steps(step), min(c.min_learning_rate, lr))
  elif c.schedule == "cosine":
    main = optax.cosine_decay_schedule(lr, max(num_steps, 1), alpha=c.min_learning_rate / lr)
  elif c.schedule == "cosine_restarts":  # BasicSR CosineAnnealingRestartLR, restart weight 1
    periods = [int(p) for p in c.restart_periods]
    main = optax.join_schedules(
        [optax.cosine_decay_schedule(lr, p, alpha=c.min_learning_rate / lr) for p in periods],
        boundaries=list(np.cumsum(periods)[:-1]))
  else:
    raise ValueError(f"config.optim.schedule: unknown {c.schedule!r}")
  if not c.warmup_steps:
    return main
  warmup = c.warmup_steps
  return lambda step: jnp.where(step < warmup, lr * step / warmup, main(step))


class _ClipState(NamedTuple):
  count: jax.Array


def clip_adjustable(theta: float, schedule: optax.Schedule) -> optax.GradientTransformation:
  """Each gradient element clipped to [−θ/lr, θ/lr], lr the schedule's at this step (VDSR)."""

  def init(params):
    del params
    return _ClipState(jnp.zeros([], jnp.int32))

  def update(updates, state, params=None):
    del params
    bound = theta / schedule(state.count)
    updates = jax.tree.map(lambda g: jnp.clip(g, -bound, bound), updates)
    return updates, _ClipState(optax.safe_int32_increment(state.count))

  return optax.GradientTransformation(init, update)


def make_optimizer(c, schedule: optax.Schedule) -> optax.GradientTransformation:
  if c.name == "adamw":
    opt = optax.adamw(schedule, b1=c.b1, b2=c.b2, eps=c.eps, weight_decay=c.weight_decay)
  elif c.name == "sgd":  # SRCNN/VDSR: momentum SGD with L2 weight decay
    opt = optax.chain(optax.add_decayed_weights(c.weight_decay),
                      optax.sgd(schedule, momentum=c.momentum or None))
  else:
    opt = optax.adam(schedule, b1=c.b1, b2=c.b2, eps=c.eps)
  if c.clip_adjustable:
    opt = optax.chain(clip_adjustable(c.clip_adjustable, schedule), opt)
  if c.clip_norm:
    return optax.chain(optax.clip_by_global_norm(c.clip_norm), opt)
  return opt
