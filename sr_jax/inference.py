"""Trained generators outside the training loop: load one, pick its parameters, predict.

Every tool that uses a trained model — evaluate, upscale, export, compare, mos, the inference
benchmark — loads it here, so "which parameters" and "in which dtype" have one answer:

  g = inference.from_run(workdir)        # a training run's latest (or given) checkpoint
  sr = g.predict(g.variables, lr)        # (N, h, w, C) in [0, 1] → SR (the final output)
  apply = g.apply("bfloat16")            # jitted lr → float32 SR, computing in bfloat16

A run's parameters are the ones its validation judged better at that checkpoint: the EMA when
the run keeps one, unless the raw weights validated better while the EMA was still warming up
(the trainer records the choice with each checkpoint).
"""
import dataclasses
import functools
from typing import Any, Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections

from sr_jax import models
from sr_jax.train import checkpoint

Predict = Callable[[Any, jax.Array], jax.Array]


def predict_fn(model: nn.Module) -> Predict:
  """(variables, lr) → SR, the final output of multi-level models."""
  return lambda variables, lr: model.apply(variables, lr, train=False)


def cast_floating(tree, dtype: str):
  """Floating leaves in `dtype`; integer leaves (counters, keys) as they are."""
  return jax.tree.map(lambda x: x.astype(dtype) if jnp.issubdtype(x.dtype, jnp.floating) else x,
                      tree)


def inference_fn(config, dtype: str) -> Predict:
  """(variables, lr) → float32 SR of a config's model computing in `dtype` (its layers, floating
  variables and input): what upscaling and exported models run."""
  config = config.copy_and_resolve_references()
  config.model.dtype = dtype
  predict = predict_fn(models.from_config(config))
  return lambda variables, lr: predict(cast_floating(variables, dtype),
                                       cast_floating(lr, dtype)).astype(jnp.float32)


@dataclasses.dataclass(frozen=True)
class Generator:
  """A generator ready to predict: what it is (its config), its variables, where it came from."""
  config: ml_collections.ConfigDict
  variables: dict
  source: str  # the workdir (or weights file) it was loaded from
  step: int | None = None

  @property
  def scale(self) -> int:
    return self.config.scale

  @property
  def channels(self) -> int:
    return self.config.channels

  @functools.cached_property
  def model(self) -> nn.Module:
    return models.from_config(self.config)

  @property
  def predict(self) -> Predict:
    return predict_fn(self.model)

  def apply(self, dtype: str = "float32") -> Callable[[jax.Array], jax.Array]:
    """lr → float32 SR, jitted, computing in `dtype`; the variables are cast inside the jit, so
    nothing compiles before the first input."""
    return functools.partial(jax.jit(inference_fn(self.config, dtype)), self.variables)

  def describe(self) -> str:
    at = f", step {self.step}" if self.step is not None else ""
    return f"{self.source}: {self.config.model.name} x{self.scale}{at}"


def from_run(workdir: str, step: int | None = None) -> Generator:
  """A training run's generator at `step` (default: the latest checkpoint), with the parameters
  its validation judged better there (sr_jax.train.checkpoint.load_generator)."""
  config, variables, step = checkpoint.load_generator(workdir, step)
  return Generator(config, variables, str(workdir), step)


def check_scale(generator: Generator, scale: int | None, flag: str = "--scale") -> None:
  """ConfigError when a command asks for another scale than the generator's."""
  if scale:
    checkpoint.check_matches(generator.source, generator.config, {"scale": scale}, flag)
