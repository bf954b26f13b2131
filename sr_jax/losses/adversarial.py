"""GAN losses on discriminator logits, one (generator, discriminator) pair per name.

Both functions take (real_logits, fake_logits) of any shape (per image or per pixel, as the U-Net
discriminator gives); only the relativistic pair reads real logits in the generator loss.
Discriminator losses sum the real and fake terms, as SRGAN/BasicSR do.
- vanilla: BCE with logits (SRGAN). lsgan: least squares on logits, labels 1/0.
- hinge: max(0, 1 ∓ C) for D, −E[C(fake)] for G. wgan_gp: Wasserstein critic; add
  λ · `gradient_penalty` (λ = 10) to the critic loss.
- ragan: ESRGAN's relativistic average GAN, D_ra(x_r, x_f) = σ(C(x_r) − E[C(x_f)]), with BCE.
  Both terms keep their full gradients, as ESRGAN's own code and paper have it (BasicSR detaches
  the other side's mean in the D step to save memory).
"""
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import optax


def _bce(logits, label: float):
  return jnp.mean(optax.sigmoid_binary_cross_entropy(logits, jnp.full_like(logits, label)))


def vanilla_g(real_logits, fake_logits):
  del real_logits
  return _bce(fake_logits, 1.0)


def vanilla_d(real_logits, fake_logits):
  return _bce(real_logits, 1.0) + _bce(fake_logits, 0.0)


def lsgan_g(real_logits, fake_logits):
  del real_logits
  return jnp.mean((fake_logits - 1.0) ** 2)


def lsgan_d(real_logits, fake_logits):
  return jnp.mean((real_logits - 1.0) ** 2) + jnp.mean(fake_logits**2)


def hinge_g(real_logits, fake_logits):
  del real_logits
  return -jnp.mean(fake_logits)


def hinge_d(real_logits, fake_logits):
  return jnp.mean(jax.nn.relu(1.0 - real_logits)) + jnp.mean(jax.nn.relu(1.0 + fake_logits))


def wgan_g(real_logits, fake_logits):
  del real_logits
  return -jnp.mean(fake_logits)


def wgan_d(real_logits, fake_logits):
  return jnp.mean(fake_logits) - jnp.mean(real_logits)


def ragan_g(real_logits, fake_logits):
  """(BCE(C(x_r) − E[C(x_f)], 0) + BCE(C(x_f) − E[C(x_r)], 1)) / 2, real logits held fixed."""
  real_logits = jax.lax.stop_gradient(real_logits)
  return 0.5 * (_bce(real_logits - jnp.mean(fake_logits), 0.0)
                + _bce(fake_logits - jnp.mean(real_logits), 1.0))


def ragan_d(real_logits, fake_logits):
  """(BCE(C(x_r) − E[C(x_f)], 1) + BCE(C(x_f) − E[C(x_r)], 0)) / 2."""
  return 0.5 * (_bce(real_logits - jnp.mean(fake_logits), 1.0)
                + _bce(fake_logits - jnp.mean(real_logits), 0.0))


def gradient_penalty(d_fn: Callable[[jnp.ndarray], jnp.ndarray], real, fake, key):
  """WGAN-GP: E[(‖∇ₓ C(x̂)‖₂ − 1)²] at x̂ = αx_r + (1 − α)x_f, α ~ U(0, 1) per image.

  d_fn maps an image batch to logits, e.g. `lambda x: disc.apply(variables, x)`; each image's
  gradient is that of the sum of its own logits.
  """
  alpha = jax.random.uniform(key, (real.shape[0],) + (1,) * (real.ndim - 1), real.dtype)
  x_hat = alpha * real + (1.0 - alpha) * jax.lax.stop_gradient(fake)
  grads = jax.grad(lambda x: jnp.sum(d_fn(x)))(x_hat)
  norms = jnp.sqrt(jnp.sum(grads.reshape(grads.shape[0], -1) ** 2, axis=1) + 1e-12)
  return jnp.mean((norms - 1.0) ** 2)


class GanLoss(NamedTuple):
  generator: Callable
  discriminator: Callable


GAN_LOSSES = {
    "vanilla": GanLoss(vanilla_g, vanilla_d),
    "lsgan": GanLoss(lsgan_g, lsgan_d),
    "hinge": GanLoss(hinge_g, hinge_d),
    "wgan_gp": GanLoss(wgan_g, wgan_d),
    "ragan": GanLoss(ragan_g, ragan_d),
}
