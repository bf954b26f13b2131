"""Perceptual and adversarial training (SRGAN, ESRGAN, Real-ESRGAN): both networks in one jit step.

The generator updates first, on Σ wᵢ·termᵢ (sr_jax.losses.objective) with the adversarial term
from the discriminator's current parameters; then the discriminator updates on the stop_gradient
fakes, as ESRGAN (and BasicSR) order them. Each has its own optax optimizer and schedule
(`config.optim`, `config.gan.optim`). The discriminator runs in train mode in both halves, as
PyTorch's train-mode forwards do, and its 'batch_stats' (BatchNorm) and 'spectral' (power
iteration) collections are threaded through every call and kept in the state.

GanState extends TrainState with the discriminator, so checkpoints, EMA evaluation, `init_from`
and `sr_jax.evaluate` treat the generator as any model. Frozen feature networks (VGG) are a step
argument, not state: checkpoints stay free of them and XLA does not embed them as constants.
"""
import dataclasses
from typing import Any, Callable

import flax
import jax
import jax.numpy as jnp
import optax

from sr_jax.losses import adversarial, objective
from sr_jax.models import discriminators
from sr_jax.train import inputs as inputs_lib, optim, step as step_lib


@flax.struct.dataclass
class GanState(step_lib.TrainState):
  disc_params: Any = None
  disc_state: Any = None  # the discriminator's other collections: 'batch_stats', 'spectral'
  disc_opt_state: Any = None


def build_discriminator(config):
  cls = discriminators.DISCRIMINATORS[config.gan.discriminator]
  kwargs = {"num_feat": config.gan.num_feat, "dtype": jnp.dtype(config.model.dtype)}
  if "input_size" in {f.name for f in dataclasses.fields(cls)}:
    kwargs["input_size"] = config.data.hr_patch
  return cls(**kwargs)


def init_state(model, disc, g_tx, d_tx, lr_shape, hr_shape, seed: int, use_ema: bool,
               pool=None) -> GanState:
  base = step_lib.init_state(model, g_tx, lr_shape, seed, use_ema, pool)
  d_vars = disc.init(jax.random.fold_in(jax.random.key(seed), 1), jnp.zeros(hr_shape, jnp.float32))
  d_params = d_vars.pop("params")
  return GanState(**{f.name: getattr(base, f.name) for f in dataclasses.fields(base)},
                  disc_params=d_params, disc_state=d_vars, disc_opt_state=d_tx.init(d_params))


def _apply(module, params, collections, x):
  """Train-mode forward that returns (output, updated collections)."""
  return module.apply({"params": params, **collections}, x, train=True, mutable=list(collections))


def make_train_step(model, disc, g_tx: optax.GradientTransformation,
                    d_tx: optax.GradientTransformation, g_schedule: optax.Schedule,
                    d_schedule: optax.Schedule, content_loss: Callable,
                    term_weights: dict[str, float], gan_loss: adversarial.GanLoss,
                    gp_weight: float, ema_decay: float,
                    prepare_batch: Callable = step_lib.host_pairs):
  """step(state, batch, vgg_variables) → (state, metrics).

  content_loss(sr, hr, vgg_variables) → {term: value}; term_weights include 'gan'. gp_weight > 0
  adds WGAN-GP's gradient penalty to the discriminator's loss. Metrics: every weighted term, the
  generator's total ('loss'), the discriminator's loss and its mean real / fake logits, and
  `nonfinite`: when any loss or either network's gradient is not finite, neither network moves
  (`step.keep_if_finite`). state.lr_scale scales both networks' updates.
  """

  def train_step(state: GanState, batch, vgg_variables):
    batch_key, gp_key = jax.random.split(step_lib.step_key(state))
    inputs, pool = prepare_batch(batch, batch_key, state.pool)
    lr, hr = inputs["lr"], inputs["hr"]
    real = inputs.get("gt", hr)  # Real-ESRGAN: D sees the unsharpened GT, the content terms the USM

    def g_objective(params):
      sr, model_state = _apply(model, params, state.model_state, lr)
      real_logits, disc_state = _apply(disc, state.disc_params, state.disc_state, real)
      fake_logits, disc_state = _apply(disc, state.disc_params, disc_state, sr)
      terms = {**content_loss(sr, hr, vgg_variables),
               "gan": gan_loss.generator(jax.lax.stop_gradient(real_logits), fake_logits)}
      return objective.total(terms, term_weights), (terms, sr, model_state, disc_state)

    (g_loss, (terms, sr, model_state, disc_state)), g_grads = jax.value_and_grad(
        g_objective, has_aux=True)(state.params)
    g_updates, opt_state = g_tx.update(g_grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, step_lib.scaled(g_updates, state.lr_scale))
    ema = state.ema_params
    if ema is not None:
      ema = optax.incremental_update(params, ema, 1.0 - ema_decay)

    fake = jax.lax.stop_gradient(sr)

    def d_objective(d_params):
      real_logits, d_state = _apply(disc, d_params, disc_state, real)
      fake_logits, d_state = _apply(disc, d_params, d_state, fake)
      loss = gan_loss.discriminator(real_logits, fake_logits)
      if gp_weight:
        critic = lambda x: _apply(disc, d_params, d_state, x)[0]
        loss = loss + gp_weight * adversarial.gradient_penalty(critic, real, fake, gp_key)
      return loss, (d_state, real_logits, fake_logits)

    (d_loss, (d_state, real_logits, fake_logits)), d_grads = jax.value_and_grad(
        d_objective, has_aux=True)(state.disc_params)
    d_updates, d_opt_state = d_tx.update(d_grads, state.disc_opt_state, state.disc_params)
    disc_params = optax.apply_updates(state.disc_params,
                                      step_lib.scaled(d_updates, state.lr_scale))

    norms = {"grad_norm": optax.tree.norm(g_grads), "d_grad_norm": optax.tree.norm(d_grads)}
    finite = step_lib.all_finite(g_loss, terms, d_loss, norms)
    metrics = {"loss": g_loss, **terms, "d_loss": d_loss,
               "d_real": jnp.mean(real_logits), "d_fake": jnp.mean(fake_logits),
               "learning_rate": g_schedule(state.step) * state.lr_scale,
               "d_learning_rate": d_schedule(state.step) * state.lr_scale, **norms,
               "nonfinite": 1.0 - finite.astype(jnp.float32)}
    new_state = state.replace(step=state.step + 1, params=params, model_state=model_state,
                              opt_state=opt_state, ema_params=ema, pool=pool,
                              disc_params=disc_params, disc_state=d_state,
                              disc_opt_state=d_opt_state)
    return step_lib.keep_if_finite(finite, new_state, state), metrics

  return train_step


def build(config, model, g_tx, g_schedule, lr_shape):
  """(init, step, step_args) for the trainer: a thunk making the GanState, the step function and
  its extra arguments (the VGG variables). Loads VGG weights now, so a missing file fails here."""
  vgg_net, vgg_variables = objective.feature_network(config)
  disc = build_discriminator(config)
  d_schedule = optim.make_schedule(config.gan.optim, config.train.num_steps)
  d_tx = optim.make_optimizer(config.gan.optim, d_schedule)
  hr_shape = (1, config.data.hr_patch, config.data.hr_patch, config.channels)
  init = lambda: init_state(model, disc, g_tx, d_tx, lr_shape, hr_shape, config.seed,
                            config.train.ema_decay > 0, inputs_lib.init_pool(config))
  gp_weight = config.gan.gp_weight if config.gan.loss == "wgan_gp" else 0.0
  train_step = make_train_step(model, disc, g_tx, d_tx, g_schedule, d_schedule,
                               objective.content_loss(config, vgg_net), objective.weights(config),
                               adversarial.GAN_LOSSES[config.gan.loss], gp_weight,
                               config.train.ema_decay, inputs_lib.prepare_batch(config))
  return init, train_step, (vgg_variables,)
