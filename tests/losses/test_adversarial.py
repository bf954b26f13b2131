"""GAN losses on hand-computed logits and the WGAN-GP gradient penalty."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax.losses import adversarial as A

SP0, SP2, SPM2 = 0.6931471805599453, 2.1269280110429727, 0.12692801104297263  # softplus(0, 2, -2)
REAL = jnp.array([2.0, 0.0])
FAKE = jnp.array([-1.0, 1.0])


def test_ragan_hand_computed():
  # E[C(real)] = 1, E[C(fake)] = 0; BCE(z, 1) = softplus(-z), BCE(z, 0) = softplus(z).
  # D: real − 0 = (2, 0) labelled 1; fake − 1 = (−2, 0) labelled 0 → both (sp(−2) + sp(0)) / 2.
  d = (SPM2 + SP0) / 2
  assert float(A.ragan_d(REAL, FAKE)) == pytest.approx(d, rel=1e-6)
  # G: real − 0 = (2, 0) labelled 0; fake − 1 = (−2, 0) labelled 1 → both (sp(2) + sp(0)) / 2.
  g = (SP2 + SP0) / 2
  assert float(A.ragan_g(REAL, FAKE)) == pytest.approx(g, rel=1e-6)
  # The generator loss sends no gradient to the (fixed) real logits.
  assert float(jnp.abs(jax.grad(A.ragan_g)(REAL, FAKE)).max()) == 0


def test_standard_losses_hand_computed():
  # vanilla D: real (2, 0) → (sp(−2) + sp(0)) / 2; fake (−1, 1) labelled 0 → (sp(−1) + sp(1)) / 2.
  sp1, spm1 = np.log1p(np.e), np.log1p(np.exp(-1))
  assert float(A.vanilla_d(REAL, FAKE)) == pytest.approx((SPM2 + SP0) / 2 + (spm1 + sp1) / 2,
                                                         rel=1e-6)
  assert float(A.vanilla_g(REAL, FAKE)) == pytest.approx((sp1 + spm1) / 2, rel=1e-6)
  assert float(A.lsgan_d(REAL, FAKE)) == pytest.approx((1 + 1) / 2 + (1 + 1) / 2)
  assert float(A.lsgan_g(REAL, FAKE)) == pytest.approx((4 + 0) / 2)
  # hinge D: relu(1 − (2, 0)) = (0, 1), relu(1 + (−1, 1)) = (0, 2).
  assert float(A.hinge_d(REAL, FAKE)) == pytest.approx(0.5 + 1.0)
  assert float(A.hinge_g(REAL, FAKE)) == pytest.approx(0.0)
  assert float(A.wgan_d(REAL, FAKE)) == pytest.approx(0.0 - 1.0)
  assert float(A.wgan_g(REAL, FAKE)) == pytest.approx(0.0)
  assert set(A.GAN_LOSSES) == {"vanilla", "lsgan", "hinge", "wgan_gp", "ragan"}


def test_gradient_penalty_linear_critic():
  # C(x) = Σ w·x has gradient w everywhere: penalty (‖w‖ − 1)² whatever the interpolation.
  w = jnp.arange(12.0).reshape(1, 2, 2, 3) / 10
  real = jax.random.uniform(jax.random.key(0), (3, 2, 2, 3))
  fake = jax.random.uniform(jax.random.key(1), (3, 2, 2, 3))
  gp = A.gradient_penalty(lambda x: jnp.sum(w * x, axis=(1, 2, 3)), real, fake, jax.random.key(2))
  assert float(gp) == pytest.approx((float(jnp.linalg.norm(w)) - 1) ** 2, rel=1e-5)


def test_gradient_penalty_matches_finite_differences():
  # With real == fake, x̂ = real; a nonlinear critic's gradient norm checked by central differences.
  rng = np.random.default_rng(0)
  w = rng.normal(size=(1, 2, 2, 1))
  real = rng.uniform(size=(2, 2, 2, 1))
  critic = lambda x: jnp.sum(jnp.tanh(w * x) * x, axis=(1, 2, 3))
  with jax.enable_x64():
    gp = float(A.gradient_penalty(critic, jnp.asarray(real), jnp.asarray(real), jax.random.key(0)))
  f = lambda x: np.sum(np.tanh(w * x) * x, axis=(1, 2, 3))
  grads, eps = np.zeros_like(real), 1e-6
  for idx in np.ndindex(real.shape[1:]):
    step = np.zeros_like(real)
    step[(slice(None),) + idx] = eps
    grads[(slice(None),) + idx] = (f(real + step) - f(real - step)) / (2 * eps)
  norms = np.sqrt((grads**2).reshape(2, -1).sum(axis=1))
  assert gp == pytest.approx(np.mean((norms - 1) ** 2), rel=1e-6)
