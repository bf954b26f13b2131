"""Supervised training: the generator alone on Σ wᵢ · content termᵢ.

Pixel-only is PSNR-oriented training (EDSR, RCAN, SwinIR, ...); with perceptual, style or TV
terms it is perceptual-loss SR without a discriminator (SRGAN's SRResNet-VGG22/VGG54 ablations,
Johnson et al.). Multi-level models (LapSRN) train at every level (sr_jax.losses.objective).
"""
import jax

from sr_jax.losses import objective
from sr_jax.train import inputs, modes, step as step_lib

SECTION = ""


def validate(config) -> None:
  from sr_jax.config import ConfigError  # pylint: disable=g-import-not-at-top
  if not objective.weights(config):
    raise ConfigError("config.losses: every content term's weight is 0; nothing to train on")


def make_step(model, tx, schedule, content, term_weights: dict[str, float], ema_decay: float,
              prepare_batch=step_lib.host_pairs, extra_terms=None):
  """step(state, batch, vgg_variables, *extra_args) → (state, metrics: loss, every term, and the
  tail's). `extra_terms(outputs, lr, hr, *extra_args)` → {term: value} adds terms beside the
  content ones (another mode's, e.g. distillation's), weighted by `term_weights` too."""

  def train_step(state: step_lib.TrainState, batch, vgg_variables, *extra_args):
    batch_inputs, pool = prepare_batch(batch, step_lib.step_key(state), state.pool)
    lr, hr = batch_inputs["lr"], batch_inputs["hr"]
    mutable = list(state.model_state) or False

    def loss_of(params):
      out = model.apply({"params": params, **state.model_state}, lr, train=True, mutable=mutable)
      outputs, model_state = out if mutable else (out, state.model_state)
      terms = content(outputs, hr, vgg_variables, state.step)
      if extra_terms is not None:
        terms.update(extra_terms(outputs, lr, hr, *extra_args))
      return objective.total(terms, term_weights), (terms, model_state)

    (loss, (terms, model_state)), grads = jax.value_and_grad(loss_of, has_aux=True)(state.params)
    changes = {**step_lib.update(state, grads, tx, ema_decay), "model_state": model_state,
               "pool": pool}
    return step_lib.finish(state, changes, {"loss": loss, **terms}, grads, schedule)

  return train_step


def build(config, model, tx, schedule, lr_shape) -> modes.Built:
  net, vgg_variables = objective.feature_network(config)  # loads VGG now: a missing file fails
  init = lambda: step_lib.init_state(model, tx, lr_shape, config.seed,
                                     config.train.ema_decay > 0, inputs.init_pool(config))
  step = make_step(model, tx, schedule, objective.content_loss(config, net),
                   objective.weights(config), config.train.ema_decay,
                   inputs.prepare_batch(config))
  return modes.Built(init, step, (vgg_variables,))
