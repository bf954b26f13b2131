"""Distillation: the generator learns from HR and from a frozen teacher run's outputs.

loss = Σ wᵢ · content termᵢ (against HR) + distill.weight · criterion(SR, teacher's SR), the
teacher (`config.distill.teacher`: a training run's workdir, whose validated parameters are
taken as sr_jax.inference would pick them, a weights file or an official release name) running on the same LR batch inside the step. A small student
can thus learn from a large model's outputs (knowledge distillation for SR). The teacher's
variables are a step argument, like VGG's: frozen, and outside the checkpoints.
"""
import jax

from sr_jax import models, weights
from sr_jax.losses import objective, pixel
from sr_jax.train import checkpoint, inputs, modes, step as step_lib
from sr_jax.train.modes import supervised

SECTION = "distill"


def validate(c) -> None:
  from sr_jax import config as config_lib  # pylint: disable=g-import-not-at-top
  if not c.distill.teacher:
    config_lib.fail("distill.teacher", "names no run, but train.mode is 'distill'")
  config_lib.positive(c, "distill.weight")
  config_lib.one_of(c, "distill.criterion", tuple(pixel.PIXEL_LOSSES))


def load_teacher(config):
  """(teacher module, variables) of `config.distill.teacher`; ConfigError when its scale or
  channels differ from the student's."""
  teacher_run = weights.run_for(config.distill.teacher, "distill.teacher")
  teacher_config, variables, _ = checkpoint.load_generator(teacher_run)
  checkpoint.check_matches(config.distill.teacher, teacher_config,
                           {"scale": config.scale, "channels": config.channels},
                           "the student (config.distill.teacher)")
  return models.from_config(teacher_config), variables


def make_step(model, teacher, tx, schedule, content, term_weights: dict[str, float],
              distill_weight: float, criterion, ema_decay: float,
              prepare_batch=step_lib.host_pairs):
  """step(state, batch, vgg_variables, teacher_variables) → (state, metrics): the supervised
  step with one more term, criterion(SR, the teacher's SR of the same LR)."""

  def distill_term(outputs, lr, hr, teacher_variables):
    target = jax.lax.stop_gradient(teacher.apply(teacher_variables, lr, train=False))
    return {"distill": criterion(objective.final(outputs), target.astype(hr.dtype))}

  return supervised.make_step(model, tx, schedule, content,
                              {**term_weights, "distill": distill_weight}, ema_decay,
                              prepare_batch, extra_terms=distill_term)


def build(config, model, tx, schedule, lr_shape) -> modes.Built:
  net, vgg_variables = objective.feature_network(config)
  teacher, teacher_variables = load_teacher(config)
  init = lambda: step_lib.init_state(model, tx, lr_shape, config.seed,
                                     config.train.ema_decay > 0, inputs.init_pool(config))
  step = make_step(model, teacher, tx, schedule, objective.content_loss(config, net),
                   objective.weights(config), float(config.distill.weight),
                   pixel.PIXEL_LOSSES[config.distill.criterion], config.train.ema_decay,
                   inputs.prepare_batch(config))
  return modes.Built(init, step, (vgg_variables, teacher_variables))
