"""The generator's objective from `config.losses` and `config.gan`: total = Σ wᵢ · termᵢ.

Terms: pixel (criterion `config.train.loss`), perceptual and style (VGG19 features, per-layer
weights), tv (total variation of SR) and gan (the adversarial term, added by the GAN step). Only
terms with a non-zero weight are computed; every one is returned, so each can be logged.
VGG weights are loaded here, before anything compiles: a missing file fails with the one line
that says how to make it.
"""
from typing import Callable

import jax
import jax.numpy as jnp

from sr_jax.losses import perceptual, pixel
from sr_jax.models import vgg

CONTENT_TERMS = ("pixel", "perceptual", "style", "tv")
FEATURE_TERMS = ("perceptual", "style")


def weights(config) -> dict[str, float]:
  """Non-zero weights by term; 'gan' when a discriminator trains."""
  w = {t: float(config.losses[t]) for t in CONTENT_TERMS if config.losses[t]}
  if config.gan.discriminator:
    w["gan"] = float(config.gan.weight)
  return w


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


def content_loss(config, net) -> Callable:
  """(sr, hr, vgg_variables) → {term: value} for the weighted content terms."""
  w = weights(config)
  layers = _feature_layers(config)
  pixel_fn = pixel.PIXEL_LOSSES[config.train.loss]
  feature_fns = {"perceptual": perceptual.perceptual, "style": perceptual.style}

  def loss(sr, hr, vgg_variables):
    terms = {}
    if "pixel" in w:
      terms["pixel"] = pixel_fn(sr, hr)
    if layers:
      sr_feats, hr_feats = perceptual.vgg_features(net, vgg_variables, sr, hr)
      for term, term_layers in layers.items():
        terms[term] = feature_fns[term](sr_feats, hr_feats, term_layers,
                                        config.losses[f"{term}_criterion"])
    if "tv" in w:
      terms["tv"] = perceptual.total_variation(sr)
    return terms

  return loss


def pixel_loss(config) -> Callable:
  """The plain (PSNR-oriented) step's loss: losses.pixel · the train.loss criterion."""
  w, fn = float(config.losses.pixel), pixel.PIXEL_LOSSES[config.train.loss]
  return lambda sr, hr: w * fn(sr, hr)
