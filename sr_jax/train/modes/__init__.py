"""Training modes: how one step turns a batch into updates; `config.train.mode` names one.

  supervised   the generator on its content terms (pixel, perceptual, style, tv): PSNR-oriented
               training, and perceptual-loss SR without a discriminator (SRGAN's SRResNet-VGG)
  adversarial  the generator and a discriminator (`config.gan`) in one step: SRGAN, ESRGAN,
               Real-ESRGAN
  distill      the generator on its content terms and on a frozen teacher run's outputs
               (`config.distill`)

Every loss term combines with every model in every mode: the content objective is one
(sr_jax.losses.objective), and the optimizer, EMA, non-finite guard and common metrics are one
update tail (sr_jax.train.step.update / finish). A mode is one module here providing

  SECTION            its config section ('' if none); in other modes it must keep its defaults
  validate(config)   ConfigError naming the first key of its section that cannot work
  build(config, model, tx, schedule, lr_shape) -> Built(init, step, step_args)

and adding one is that module, its name in MODES and its section in config.default_config().
"""
import dataclasses
import importlib
import types
from typing import Callable

MODES = ("supervised", "adversarial", "distill")


@dataclasses.dataclass
class Built:
  init: Callable  # () -> the initial train state (the trainer jits it with its shardings)
  step: Callable  # step(state, batch, *step_args) -> (state, metrics)
  step_args: tuple = ()  # frozen networks the step reads (VGG, a teacher): arguments, not state


def get(name: str) -> types.ModuleType:
  if name not in MODES:
    raise KeyError(f"unknown training mode {name!r}; known: {', '.join(MODES)}")
  return importlib.import_module(f"{__name__}.{name}")
