"""Adversarial training (SRGAN, ESRGAN, Real-ESRGAN): generator and discriminator in one jit step.

The generator updates first, on Σ wᵢ · content termᵢ (sr_jax.losses.objective) + gan.weight ·
the adversarial term from the discriminator's current parameters; then the discriminator updates
on the stop_gradient fakes, as ESRGAN (and BasicSR) order them. Each has its own optax optimizer
and schedule (`config.optim`, `config.gan.optim`). The discriminator runs in train mode in both
halves, as PyTorch's train-mode forwards do, and its 'batch_stats' (BatchNorm) and 'spectral'
(power iteration) collections are threaded through every call and kept in the state. Multi-level
generators (LapSRN) train their content terms at every level; the discriminator sees the final
output.

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
from sr_jax.train import inputs as inputs_lib, modes, optim, step as step_lib

SECTION = "gan"


@flax.struct.dataclass
class GanState(step_lib.TrainState):
  disc_params: Any = None
  disc_state: Any = None  # the discriminator's other collections: 'batch_stats', 'spectral'
  disc_opt_state: Any = None


def validate(c) -> None:
  from sr_jax import config as config_lib  # pylint: disable=g-import-not-at-top
  if not c.gan.discriminator:
    config_lib.fail("gan.discriminator", "names none, but train.mode is 'adversarial'; one of "
                    f"{', '.join(discriminators.DISCRIMINATORS)}")
  config_lib.one_of(c, "gan.discriminator", tuple(discriminators.DISCRIMINATORS))
  config_lib.one_of(c, "gan.loss", tuple(adversarial.GAN_LOSSES))
  config_lib.positive(c, "gan.weight")
  config_lib.positive(c, "gan.num_feat")
  config_lib.positive(c, "gan.gp_weight", allow_zero=True)
  if c.gan.loss != "wgan_gp" and c.gan.gp_weight != config_lib.default_config().gan.gp_weight:
    config_lib.fail("gan.gp_weight", f"has no effect with gan.loss={c.gan.loss!r} (wgan_gp only)")
  config_lib.validate_optim(c, "gan.optim")
  multiple = 32 if c.gan.discriminator == "vgg128" else 8  # stride-2 stages of each
  if c.data.hr_patch % multiple:
    config_lib.fail("data.hr_patch", f"{c.data.hr_patch} is not a multiple of {multiple}, as the "
                    f"{c.gan.discriminator} discriminator needs")


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


def make_step(model, disc, g_tx: optax.GradientTransformation,
              d_tx: optax.GradientTransformation, g_schedule: optax.Schedule,
              d_schedule: optax.Schedule, content: Callable, term_weights: dict[str, float],
              gan_loss: adversarial.GanLoss, gan_weight: float, gp_weight: float,
              ema_decay: float, prepare_batch: Callable = step_lib.host_pairs):
  """step(state, batch, vgg_variables) → (state, metrics).

  content(outputs, hr, vgg_variables, step) → {term: value}. gp_weight > 0 adds WGAN-GP's
  gradient penalty to the discriminator's loss. Metrics: every weighted term, the generator's total
  ('loss'), the discriminator's loss, gradient norm and mean real / fake logits, and the update
  tail's: when any loss or either network's gradient is not finite, neither network moves.
  state.lr_scale scales both networks' updates.
  """
  weights = {**term_weights, "gan": gan_weight}

  def train_step(state: GanState, batch, vgg_variables):
    batch_key, gp_key = jax.random.split(step_lib.step_key(state))
    batch_inputs, pool = prepare_batch(batch, batch_key, state.pool)
    lr, hr = batch_inputs["lr"], batch_inputs["hr"]
    real = batch_inputs.get("gt", hr)  # Real-ESRGAN: D sees the plain GT, content the USM one

    def g_objective(params):
      outputs, model_state = _apply(model, params, state.model_state, lr)
      sr = objective.final(outputs)
      real_logits, disc_state = _apply(disc, state.disc_params, state.disc_state, real)
      fake_logits, disc_state = _apply(disc, state.disc_params, disc_state, sr)
      terms = {**content(outputs, hr, vgg_variables, state.step),
               "gan": gan_loss.generator(jax.lax.stop_gradient(real_logits), fake_logits)}
      return objective.total(terms, weights), (terms, sr, model_state, disc_state)

    (g_loss, (terms, sr, model_state, disc_state)), g_grads = jax.value_and_grad(
        g_objective, has_aux=True)(state.params)
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

    changes = {**step_lib.update(state, g_grads, g_tx, ema_decay), "model_state": model_state,
               "pool": pool, "disc_params": disc_params, "disc_state": d_state,
               "disc_opt_state": d_opt_state}
    metrics = {"loss": g_loss, **terms, "d_loss": d_loss, "d_real": jnp.mean(real_logits),
               "d_fake": jnp.mean(fake_logits), "d_grad_norm": optax.tree.norm(d_grads),
               "d_learning_rate": d_schedule(state.step) * state.lr_scale}
    return step_lib.finish(state, changes, metrics, g_grads, g_schedule)

  return train_step


def build(config, model, tx, schedule, lr_shape) -> modes.Built:
  net, vgg_variables = objective.feature_network(config)  # loads VGG now: a missing file fails
  disc = build_discriminator(config)
  d_schedule = optim.make_schedule(config.gan.optim, config.train.num_steps)
  d_tx = optim.make_optimizer(config.gan.optim, d_schedule)
  hr_shape = (1, config.data.hr_patch, config.data.hr_patch, config.channels)
  init = lambda: init_state(model, disc, tx, d_tx, lr_shape, hr_shape, config.seed,
                            config.train.ema_decay > 0, inputs_lib.init_pool(config))
  gp_weight = config.gan.gp_weight if config.gan.loss == "wgan_gp" else 0.0
  step = make_step(model, disc, tx, d_tx, schedule, d_schedule,
                   objective.content_loss(config, net), objective.weights(config),
                   adversarial.GAN_LOSSES[config.gan.loss], float(config.gan.weight), gp_weight,
                   config.train.ema_decay, inputs_lib.prepare_batch(config))
  return modes.Built(init, step, (vgg_variables,))
