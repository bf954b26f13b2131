"""The generator's objective from `config.losses`: total = Σ wᵢ · termᵢ, in every training mode.

Terms: pixel (criterion `config.train.loss`), perceptual and style (VGG19 features, per-layer
weights), tv (total variation of SR); a mode adds its own (the adversarial term, a teacher's).
Only terms with a non-zero weight are computed; every one is returned, so each can be logged.
Multi-level models (LapSRN) are trained at every level: the pixel term sums over the levels, each
against HR bicubic-resized to its size, as LapSRN's own loss, or over the levels
`config.curriculum` trains at the step (sr_jax.losses.curriculum); feature and TV terms look at
the final output. VGG weights are loaded before anything compiles: a missing file fails with the
one line that says how to make it.
"""
from typing import Callable

import jax
import jax.numpy as jnp

from sr_jax.losses import curriculum, perceptual, pixel
from sr_jax.models import vgg
from sr_jax.ops import imresize

CONTENT_TERMS = ("pixel", "perceptual", "style", "tv")
FEATURE_TERMS = ("perceptual", "style")


def weights(config) -> dict[str, float]:
  """Non-zero weights of the content terms."""
  return {t: float(config.losses[t]) for t in CONTENT_TERMS if config.losses[t]}


def total(terms: dict, term_weights: dict[str, float]):
  return sum(term_weights[k] * v for k, v in terms.items())


def _feature_layers(config) -> dict[str, dict[str, float]]:
  return {t: dict(config.losses[f"{t}_layers"]) for t in FEATURE_TERMS if config.losses[t]}


def feature_network(config):
  """(VGG module, variables) for the feature terms, or (None, {}) when no term needs one.

  `losses.vgg_random_init` gives randomly initialised features: for smoke tests only, the
  losses then mean nothing.
  """
  layers = _feature_layers(config)
  if not layers:
    return None, {}
  order = vgg.layer_names(19)
  last = max((name for term in layers.values() for name in term), key=order.index)
  if config.losses.vgg_random_init:
    net = vgg.VGG(depth=19, last=last)
    return net, net.init(jax.random.key(config.seed), jnp.zeros((1, 32, 32, 3), jnp.float32))
  return vgg.load_vgg(config.losses.vgg_weights or None, last=last)


def levels(outputs) -> tuple:
  """A model's output(s) as a tuple, coarsest first (one entry for single-output models)."""
  return tuple(outputs) if isinstance(outputs, (tuple, list)) else (outputs,)


def final(outputs) -> jax.Array:
  return levels(outputs)[-1]


def _resized(hr: jax.Array, out: jax.Array) -> jax.Array:
  if out.shape == hr.shape:
    return hr
  return imresize.resize_jax(hr, out.shape[1] / hr.shape[1], out_hw=out.shape[1:3])


def multi_level(loss_fn: Callable, outputs, hr: jax.Array, level_weights=None) -> jax.Array:
  """Σ over output levels of [weight ·] loss_fn(level, HR bicubic-resized to the level's size)."""
  losses = [loss_fn(out, _resized(hr, out)) for out in levels(outputs)]
  if level_weights is None:
    return sum(losses)
  return sum(level_weights[k] * loss for k, loss in enumerate(losses))


def content_loss(config, net) -> Callable:
  """(outputs, hr, vgg_variables, step) → {term: value} for the weighted content terms."""
  w = weights(config)
  layers = _feature_layers(config)
  pixel_fn = pixel.reduced(pixel.PIXEL_LOSSES[config.train.loss], config.losses.pixel_reduction)
  feature_fns = {"perceptual": perceptual.perceptual, "style": perceptual.style}
  levels_at = curriculum.schedule(config.curriculum.level_steps, config.curriculum.blend_steps)

  def loss(outputs, hr, vgg_variables, step):
    terms = {}
    if "pixel" in w:
      level_weights = None
      if levels_at is not None:
        outputs, level_weights = levels_at(levels(outputs), step)
      terms["pixel"] = multi_level(pixel_fn, outputs, hr, level_weights)
    sr = final(outputs)
    if layers:
      sr_feats, hr_feats = perceptual.vgg_features(net, vgg_variables, sr, hr)
      for term, term_layers in layers.items():
        terms[term] = feature_fns[term](sr_feats, hr_feats, term_layers,
                                        config.losses[f"{term}_criterion"])
    if "tv" in w:
      terms["tv"] = perceptual.total_variation(sr)
    return terms

  return loss
