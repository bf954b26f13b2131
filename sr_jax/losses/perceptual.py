"""Feature-space losses on VGG features (SRGAN/ESRGAN content, texture/style) and total variation.

The losses take feature dicts from `sr_jax.models.vgg.VGG` (layer name → (N, H, W, C)), so one
VGG pass serves both; `vgg_features` makes that pass for SR and HR together. ESRGAN's content
loss is {'conv5_4': 1.0} before ReLU with L1; Real-ESRGAN's is {'conv1_2': 0.1, 'conv2_2': 0.1,
'conv3_4': 1, 'conv4_4': 1, 'conv5_4': 1}. Target features carry no gradient.
"""
from typing import Mapping

import jax
import jax.numpy as jnp

from sr_jax.losses.pixel import l1, mse

CRITERIA = {"l1": l1, "l2": mse}
Features = Mapping[str, jnp.ndarray]


def vgg_features(vgg, variables, pred, target) -> tuple[Features, Features]:
  """One VGG pass over SR and HR stacked; float32 features, HR's gradient-free."""
  feats = vgg.apply(variables, jnp.concatenate([pred, target]))
  feats = {k: v.astype(jnp.float32) for k, v in feats.items()}
  n = pred.shape[0]
  return ({k: v[:n] for k, v in feats.items()},
          {k: jax.lax.stop_gradient(v[n:]) for k, v in feats.items()})


def perceptual(pred_feats: Features, target_feats: Features, layer_weights: Mapping[str, float],
               criterion: str = "l1"):
  """Σ_layer weight · criterion(φ_l(SR), φ_l(HR))."""
  crit = CRITERIA[criterion]
  return sum(w * crit(pred_feats[k], jax.lax.stop_gradient(target_feats[k]))
             for k, w in layer_weights.items())


def gram_matrix(feat):
  """(N, H, W, C) → (N, C, C) channel correlations / (C·H·W), as BasicSR normalises them."""
  n, h, w, c = feat.shape
  f = feat.reshape(n, h * w, c)
  return jnp.einsum("npc,npd->ncd", f, f, precision="highest") / (c * h * w)


def style(pred_feats: Features, target_feats: Features, layer_weights: Mapping[str, float],
          criterion: str = "l1"):
  """Texture loss: Σ_layer weight · criterion(Gram(φ_l(SR)), Gram(φ_l(HR)))."""
  crit = CRITERIA[criterion]
  return sum(w * crit(gram_matrix(pred_feats[k]),
                      jax.lax.stop_gradient(gram_matrix(target_feats[k])))
             for k, w in layer_weights.items())


def total_variation(x, squared: bool = False):
  """Mean absolute (or squared) difference of vertical and horizontal neighbours, summed."""
  dh = x[:, 1:, :, :] - x[:, :-1, :, :]
  dw = x[:, :, 1:, :] - x[:, :, :-1, :]
  f = jnp.square if squared else jnp.abs
  return jnp.mean(f(dh)) + jnp.mean(f(dw))
