"""python -m sr_jax.main --config=NAME[:PRESET] --workdir=DIR [--config.key=value] [--print_config]

Trains a recipe (NAME: one of the recipes below, or a path to a recipe file such as
configs/NAME.py) into DIR; running the same command again resumes. --print_config prints the
resolved config (the recipe with every --config.key override) and exits.
"""
import logging as logging_std
import os
import sys

from absl import app, flags, logging
import jax
from ml_collections import config_flags

from sr_jax import cache, cli, recipes

if any(arg in ("--help", "-h", "-?", "--helpfull") for arg in sys.argv):  # absl prints __doc__
  __doc__ += "\nRecipes (--config=NAME[:PRESET]; presets in order, the default first):\n" + (
      recipes.listing())

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file("config", None, "Recipe: NAME[:PRESET] (see --help) or "
                                "PATH.py[:PRESET].", lock_config=True)
flags.DEFINE_string("workdir", None, "Checkpoints and logs; re-running resumes (local or gs://).")
flags.DEFINE_string("coordinator_address", None,
                    "host:port of process 0 for a multi-process run outside TPU/SLURM.")
flags.DEFINE_integer("num_processes", None, "Processes in a multi-process run.")
flags.DEFINE_integer("process_id", None, "This process's index in a multi-process run.")
flags.DEFINE_string("compilation_cache", cache.DEFAULT_DIR,
                    "Persistent XLA compilation cache: a restart skips compiling ('' disables).")
flags.DEFINE_bool("print_config", False, "Print the resolved config and exit.")
flags.mark_flag_as_required("config")


def _cluster_detected() -> bool:
  """Cloud TPU pod slices and SLURM jobs that jax.distributed.initialize() configures itself."""
  env = os.environ
  return ("," in env.get("TPU_WORKER_HOSTNAMES", "")
          or int(env.get("SLURM_NTASKS", "1")) > 1
          or int(env.get("OMPI_COMM_WORLD_SIZE", "1")) > 1)


def initialize_distributed():
  """jax.distributed.initialize() when there is more than one process; before any JAX op."""
  if FLAGS.coordinator_address:
    jax.distributed.initialize(FLAGS.coordinator_address, FLAGS.num_processes, FLAGS.process_id)
  elif _cluster_detected():
    jax.distributed.initialize()


class _QuietLibraries(logging_std.Filter):
  """Drops Orbax's and grain's per-save INFO chatter and JAX's note on every accelerator backend
  this machine lacks ('Unable to initialize backend tpu'); warnings still show."""

  def filter(self, record):
    return record.levelno >= logging_std.WARNING or not any(
        part in record.pathname for part in ("/orbax/", "/grain/", "/xla_bridge.py"))


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
  if FLAGS.print_config:
    print(FLAGS.config)
    return
  if not FLAGS.workdir:
    raise app.UsageError("--workdir is required: where checkpoints and logs go")
  logging.get_absl_handler().addFilter(_QuietLibraries())
  initialize_distributed()
  cache.enable(FLAGS.compilation_cache)
  from sr_jax.train import checkpoint, recovery, summary, trainer  # pylint: disable=g-import-not-at-top
  logging.info("JAX %s: process %d/%d, %d devices (%s)", jax.__version__, jax.process_index(),
               jax.process_count(), jax.device_count(), jax.devices()[0].platform)
  try:
    trainer.train_and_evaluate(FLAGS.config, FLAGS.workdir)
  except trainer.Preempted as e:  # a clean stop: exit 0, so schedulers do not count a failure
    print(e, file=sys.stderr)
    return
  except (checkpoint.WorkdirError, recovery.NonFiniteError) as e:
    sys.exit(f"error: {e}")
  if jax.process_index() == 0:
    print(summary.report(FLAGS.config, FLAGS.workdir))


if __name__ == "__main__":
  cli.run(main)
