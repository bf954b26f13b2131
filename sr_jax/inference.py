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
import sys
from typing import Any, Callable

from absl import flags
import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections

from sr_jax import models, weights
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
  source: str  # what the user named: a workdir, a weights file, a release
  step: int | None = None
  run: str = ""  # the run directory it was loaded from (a workdir, or converted weights' cache)

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
  def size_multiple(self) -> int:
    """What the LR sides must be multiples of (the padding inference may add, no more)."""
    return models.size_multiple(self.model)

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

  @property
  def card(self) -> dict:
    """The model card: where the weights came from (file, sha256, release, licence, citation,
    training data), what they are, and the evaluations recorded so far."""
    card = checkpoint.read_card(self.run)
    return card or {"source": self.source, "architecture": self.config.model.name,
                    "model": dict(self.config.model), "scale": self.scale, "step": self.step}


def from_run(workdir: str, step: int | None = None) -> Generator:
  """A training run's generator at `step` (default: the latest checkpoint), with the parameters
  its validation judged better there (sr_jax.train.checkpoint.load_generator)."""
  config, variables, step = checkpoint.load_generator(workdir, step)
  return Generator(config, variables, str(workdir), step, str(workdir))


def check_scale(generator: Generator, scale: int | None, flag: str = "--scale") -> None:
  """ConfigError when a command asks for another scale than the generator's."""
  if scale:
    checkpoint.check_matches(generator.source, generator.config, {"scale": scale}, flag)


def from_weights(path: str) -> Generator:
  """A PyTorch/safetensors/npz state_dict file's generator: recognised, converted once (cached by
  its sha256, sr_jax.weights) and loaded from there."""
  generator = from_run(str(weights.converted_run(path)))
  return dataclasses.replace(generator, source=str(path), step=None)


def from_release(name: str, denoise_strength: float | None = None,
                 mirror: str | None = None) -> Generator:
  """An official release's generator (sr_jax.pretrained_catalog), downloaded once."""
  generator = from_run(str(weights.release_run(name, denoise_strength, mirror)))
  return dataclasses.replace(generator, source=name, step=None)


def load(workdir: str | None = None, weights_file: str | None = None, model: str | None = None,
         step: int | None = None, denoise_strength: float | None = None,
         mirror: str | None = None) -> Generator:
  """The generator a command names with exactly one of --workdir, --weights and --model."""
  given = [f for f, v in (("--workdir", workdir), ("--weights", weights_file), ("--model", model))
           if v]
  if len(given) != 1:
    from sr_jax.config import ConfigError  # pylint: disable=g-import-not-at-top
    raise ConfigError("give exactly one of --workdir, --weights and --model"
                      + (f" (got {' and '.join(given)})" if given else ""))
  if workdir:
    return from_run(workdir, step)
  if weights_file:
    return from_weights(weights_file)
  if denoise_strength is not None and not model:
    from sr_jax.config import ConfigError  # pylint: disable=g-import-not-at-top
    raise ConfigError("--denoise_strength mixes a release with its weak-denoise companion: "
                      "use it with --model")
  return from_release(model, denoise_strength, mirror)


def record_evaluation(generator: Generator, set_name: str, mean: dict, protocol: str) -> None:
  """Adds a set's mean metrics to the generator's model card (kept in its run directory)."""
  card = generator.card
  card.setdefault("evaluation", {})[set_name] = {**{k: round(float(v), 4) for k, v in
                                                    mean.items()}, "protocol": protocol}
  checkpoint.write_card(generator.run, card)


def define_flags(multiple: bool = False) -> None:
  """--workdir, --weights, --model (comma-separated lists if `multiple`), --step, --mirror and
  --list_models: how every tool names the generator(s) it uses."""
  define = flags.DEFINE_list if multiple else flags.DEFINE_string
  define("workdir", None, "A training run (its latest checkpoint unless --step).")
  define("weights", None, "A state_dict file: PyTorch .pth, .safetensors or .npz, in the "
         "official repositories' or BasicSR's key names (converted once, cached).")
  define("model", None, "An official release by name, downloaded once (see --list_models).")
  flags.DEFINE_integer("step", None, "The run's checkpoint step (default: the latest).")
  flags.DEFINE_string("mirror", None, "Download --model files from MIRROR/<file name>.")
  flags.DEFINE_bool("list_models", False, "List the releases --model knows, and exit.")


def list_models_if_asked() -> None:
  if flags.FLAGS.list_models:
    print(weights.listing())
    sys.exit(0)


def from_flags(denoise_strength: float | None = None) -> Generator:
  """The generator named by exactly one of --workdir, --weights and --model."""
  f = flags.FLAGS
  return load(f.workdir, f.weights, f.model, f.step, denoise_strength, f.mirror)


def all_from_flags() -> list[Generator]:
  """Every generator the (list) flags name, runs first, then weights files, then releases."""
  f = flags.FLAGS
  return ([from_run(w, f.step) for w in f.workdir or ()] + [from_weights(w) for w in f.weights or ()]
          + [from_release(m, mirror=f.mirror) for m in f.model or ()])
