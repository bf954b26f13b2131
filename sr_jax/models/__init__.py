"""Model registry: configs name a model, `build_model` makes the Flax module.

Every model maps an LR batch (N, h, w, C) in [0, 1] to an SR batch (N, h*s, w*s, C)
in (about) [0, 1]; `scale`, `channels` and `dtype` are fields of every model.
"""
import dataclasses
import importlib
from typing import Any, Callable

import flax.linen as nn
import jax
import jax.numpy as jnp

_REGISTRY: dict[str, type[nn.Module]] = {}
# Modules that register models on import; listed here so a registry lookup finds them all.
_MODEL_MODULES = ("srcnn", "edsr", "vdsr", "fsrcnn", "espcn", "autoencoder", "srresnet", "rdn",
                  "rcan", "rrdbnet", "lapsrn", "dbpn", "swinir", "carn", "imdn", "ircnn",
                  "srvgg")


def register(name: str) -> Callable[[type[nn.Module]], type[nn.Module]]:
  def wrap(cls):
    if name in _REGISTRY:
      raise ValueError(f"model {name!r} registered twice")
    _REGISTRY[name] = cls
    return cls
  return wrap


def _load_all():
  for module in _MODEL_MODULES:
    importlib.import_module(f"{__name__}.{module}")


def names() -> list[str]:
  _load_all()
  return sorted(_REGISTRY)


def model_class(name: str) -> type[nn.Module]:
  _load_all()
  if name not in _REGISTRY:
    raise KeyError(f"unknown model {name!r}; known: {', '.join(sorted(_REGISTRY))}")
  return _REGISTRY[name]


def model_fields(name: str) -> dict[str, dataclasses.Field]:
  """The constructor fields a config may set for `name` (Flax internals excluded)."""
  return {f.name: f for f in dataclasses.fields(model_class(name))
          if f.init and f.name not in ("parent", "name")}


def build_model(name: str, **kwargs: Any) -> nn.Module:
  return model_class(name)(**kwargs)


def from_config(config) -> nn.Module:
  """The model a config describes: `config.model` (name, dtype, fields), scale and channels."""
  kwargs = {k: v for k, v in config.model.items() if k not in ("name", "dtype")}
  return build_model(config.model.name, scale=config.scale, channels=config.channels,
                     dtype=jnp.dtype(config.model.dtype), **kwargs)


def size_multiple(model: nn.Module) -> int:
  """What the LR height and width must be multiples of for `model` (1 for most; models that
  space-to-depth their input say more). Inference pads the LR no further than this, so a
  convolution's border sees the image's edge as in the reference implementations."""
  return getattr(model, "size_multiple", 1)


def output_levels(model: nn.Module) -> int:
  """How many outputs `model` returns with train=True, coarse to fine: 1 for most models, a
  pyramid's levels for progressive ones (LapSRN)."""
  return getattr(model, "levels", 1)


def random_variables(model: nn.Module, seed: int = 0):
  """Randomly initialised variables of `model`, for timing: parameter shapes do not depend on
  the input size, so a 16×16 input. The key is RngBitGenerator-based ('rbg'): XLA:CPU compiles
  the init in seconds where threefry's takes ~30 s for RRDBNet."""
  small = jnp.zeros((1, 16, 16, model.channels), jnp.float32)
  return jax.jit(model.init)(jax.random.key(seed, impl="rbg"), small)
