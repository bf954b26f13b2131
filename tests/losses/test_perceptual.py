"""Perceptual, style (Gram) and total-variation losses on hand-computed features."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax.losses import perceptual as P
from sr_jax.models.vgg import VGG


def test_gram_matrix_known_feature():
  # Positions with channel vectors (1, 2) and (3, 4): Σ f fᵀ = [[10, 14], [14, 20]], / (C·H·W).
  feat = jnp.array([[[[1.0, 2.0], [3.0, 4.0]]]])  # (N=1, H=1, W=2, C=2)
  np.testing.assert_allclose(P.gram_matrix(feat)[0], [[2.5, 3.5], [3.5, 5.0]])


def _feats():
  pred = {"a": jnp.array([[[[1.0, -1.0]]]]), "b": jnp.full((1, 2, 2, 1), 2.0)}
  target = {"a": jnp.array([[[[0.0, 1.0]]]]), "b": jnp.zeros((1, 2, 2, 1))}
  return pred, target


def test_perceptual_weights_and_criteria():
  pred, target = _feats()
  # l1: layer a mean(|1|, |-2|) = 1.5, layer b 2; l2: a mean(1, 4) = 2.5, b 4.
  assert float(P.perceptual(pred, target, {"a": 1.0, "b": 0.5})) == pytest.approx(1.5 + 1.0)
  assert float(P.perceptual(pred, target, {"a": 0.1}, "l2")) == pytest.approx(0.25)


def test_style_loss_value():
  pred, target = _feats()
  # Gram(pred a) = [[1, -1], [-1, 1]] / 2 and Gram(target a) = [[0, 0], [0, 1]] / 2 (C·H·W = 2).
  diff = np.abs(np.array([[1, -1], [-1, 1]]) / 2 - np.array([[0, 0], [0, 1]]) / 2)
  assert float(P.style(pred, target, {"a": 2.0})) == pytest.approx(2.0 * diff.mean())


def test_target_features_get_no_gradient():
  pred, target = _feats()
  grads = jax.grad(lambda t: P.perceptual(pred, t, {"a": 1.0, "b": 1.0})
                   + P.style(pred, t, {"a": 1.0}))(target)
  assert all(float(jnp.abs(g).max()) == 0 for g in jax.tree.leaves(grads))
  g_pred = jax.grad(lambda p: P.perceptual(p, target, {"a": 1.0}))(pred)
  np.testing.assert_allclose(g_pred["a"][0, 0, 0], [0.5, -0.5])


def test_total_variation():
  x = jnp.array([[0.0, 1.0], [2.0, 4.0]])[None, :, :, None]
  # vertical differences (2, 3), horizontal (1, 2)
  assert float(P.total_variation(x)) == pytest.approx(2.5 + 1.5)
  assert float(P.total_variation(x, squared=True)) == pytest.approx(6.5 + 2.5)


def test_vgg_features_split_and_stop_gradient():
  vgg = VGG(width=2, last="conv1_2")
  x = jnp.linspace(0, 1, 2 * 8 * 8 * 3).reshape(2, 8, 8, 3)
  variables = vgg.init(jax.random.key(0), x[:1])

  def loss(pred, target):
    pf, tf = P.vgg_features(vgg, variables, pred, target)
    assert pf["conv1_2"].shape == tf["conv1_2"].shape == (1, 8, 8, 2)
    return P.perceptual(pf, tf, {"conv1_2": 1.0}) + 0.0 * jnp.sum(tf["conv1_1"])

  g_pred, g_target = jax.jit(jax.grad(loss, argnums=(0, 1)))(x[:1], x[1:])
  assert float(jnp.abs(g_pred).max()) > 0
  assert float(jnp.abs(g_target).max()) == 0
