"""Curriculum training of progressive (multi-level) models: which pyramid levels the pixel term
trains, and how strongly, at each step.

A multi-level model (LapSRN) returns one output per level, coarse to fine; by default the pixel
term sums over all of them from the first step (LapSRN's deep supervision). `config.curriculum`
instead trains the easy task first, as curriculum learning for progressive upsampling:

  level_steps   the step at which each level after the coarsest joins the loss, e.g. (20_000,)
                for a ×4 LapSRN: ×2 alone until step 20,000, then ×2 and ×4 ("levels added").
  blend_steps   > 0: ProSR's fade-in (Wang et al., "A Fully Progressive Approach to Single-Image
                Super-Resolution", CVPRW 2018; fperazzi/proSR, CurriculumLearningTrainer): for
                blend_steps steps after a level joins, the loss sees
                α · level + (1 − α) · bilinear ×f of the previous level, α rising linearly from 0
                to 1, so the new level's residual is faded in ("levels weighted").

Everything is a pure function of the step, which every checkpoint holds: a run stopped
mid-curriculum resumes exactly. Validation, `evaluate` and `upscale` use the finest level as it
is, whatever the schedule. ProSR draws one of the trained scales per batch, each with its own
LR size; with LapSRN's one LR input the levels trained are summed instead.
"""
from typing import Callable, Sequence

import jax
import jax.numpy as jnp


def alphas(step: jax.Array, level_steps: Sequence[int], blend_steps: int) -> jax.Array:
  """(levels,) weights at `step`: 0 before a level joins; then 1, or with blend_steps > 0 the
  fade-in α = (step − joined) / blend_steps capped at 1. The coarsest level is always 1."""
  starts = jnp.asarray((0, *level_steps), jnp.float32)
  step = jnp.asarray(step, jnp.float32)
  if blend_steps:
    ramp = jnp.clip((step - starts) / blend_steps, 0.0, 1.0)
    ramp = ramp.at[0].set(1.0)
  else:
    ramp = jnp.ones_like(starts)
  return jnp.where(step >= starts, ramp, 0.0)


def _upsampled(image: jax.Array, like: jax.Array) -> jax.Array:
  return jax.image.resize(image, like.shape, "bilinear").astype(like.dtype)


def blended(outputs: Sequence[jax.Array], a: jax.Array) -> tuple[jax.Array, ...]:
  """Each level k ≥ 1 as a[k] · level + (1 − a[k]) · bilinear upsampling of level k − 1."""
  return (outputs[0], *(a[k] * out + (1.0 - a[k]) * _upsampled(outputs[k - 1], out)
                        for k, out in enumerate(outputs) if k))


def schedule(level_steps: Sequence[int], blend_steps: int) -> Callable | None:
  """(outputs, step) → (the levels the loss sees, their weights), or None when every level
  trains from the start."""
  if not level_steps:
    return None

  def levels_at(outputs, step):
    a = alphas(step, level_steps, blend_steps)
    weights = (a > 0).astype(jnp.float32)
    return (blended(outputs, a) if blend_steps else tuple(outputs)), weights

  return levels_at
