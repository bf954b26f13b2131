"""python -m sr_jax.bench.input --config=configs/realesrgan.py [--json=OUT.json] [--steps=N]
    [--workers=W] [--hr_patch=256] [--batch_size=48]

HR patches per second that the input side of training can make, to size a machine: the host path
(grain's MakePair: crop + degradation) in one process and with W mp_prefetch workers; with
Real-ESRGAN also the device path, host side (crops + parameter draws, W workers) and device side
(the jitted train-step hook: USM, `apply_device`, pool exchange, on the current backend).
Each rate is timed after a warm-up batch (worker start, compilation); workers buffer one batch.
"""
import json
import os

from absl import flags
import jax
from ml_collections import config_flags

from sr_jax import bench, cli
from sr_jax import config as config_lib
from sr_jax.data import pipeline, sources
from sr_jax.train import inputs

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file("config", None, "Recipe: configs/NAME.py[:preset].")
flags.DEFINE_string("json", None, "Write the rates here as JSON.")
flags.DEFINE_integer("steps", 10, "Batches timed per measurement.")
flags.DEFINE_integer("workers", os.cpu_count(), "grain worker processes for the totals.")
flags.DEFINE_integer("hr_patch", 256, "GT patch side (Real-ESRGAN's gt_size).")
flags.DEFINE_integer("batch_size", 48, "Patches per batch.")
flags.mark_flag_as_required("config")


def _rate(next_batch, batch_size: int, steps: int) -> float:
  """Patches per second over `steps` batches, after one warm-up batch."""
  return bench.timed(next_batch, steps, warmup=1) * batch_size


def host_rate(config, source, workers: int, on_device: bool, steps: int) -> float:
  """grain pipeline rate, one read thread per process; workers=0: in this process."""
  c = config.copy_and_resolve_references()
  c.data.update(num_workers=workers, read_threads=1, host_prefetch=1,
                degradation_device=on_device)
  it = iter(pipeline.training_dataset(source, c.data, c.scale, c.train.batch_size, c.seed,
                                      degradation_cfg=c.degradation))
  try:
    return _rate(lambda: next(it), c.train.batch_size, steps)
  finally:
    it.close()  # stops the workers


def device_rate(config, source, steps: int) -> float:
  """The device path's jitted hook on one host batch, a new key each step, the pool carried."""
  c = config.copy_and_resolve_references()
  c.data.update(num_workers=0, degradation_device=True)
  config_lib.validate(c)  # the pool: a multiple of the batch
  batch = jax.device_put(next(iter(pipeline.training_dataset(
      source, c.data, c.scale, c.train.batch_size, c.seed, degradation_cfg=c.degradation))))
  prepare = jax.jit(inputs.prepare_batch(c))
  carry = {"pool": inputs.init_pool(c), "step": 0}

  def next_batch():
    out, carry["pool"] = prepare(batch, jax.random.fold_in(jax.random.key(c.seed), carry["step"]),
                                 carry["pool"])
    carry["step"] += 1
    return out

  return _rate(next_batch, c.train.batch_size, steps)


def measure(config, steps: int, workers: int) -> dict:
  config_lib.validate(config)
  source = sources.training_source(config.data, config.channels)
  rates = {"host_per_worker": host_rate(config, source, 0, False, steps),
           "host_total": host_rate(config, source, workers, False, steps) if workers else None}
  if config.data.degradation == "realesrgan":
    rates["device_path_host_total"] = host_rate(config, source, workers, True, steps)
    rates["device_path_device"] = device_rate(config, source, steps)
  return rates


def main(argv):
  del argv
  config = FLAGS.config
  config.data.hr_patch = FLAGS.hr_patch
  config.train.batch_size = FLAGS.batch_size
  rates = measure(config, FLAGS.steps, FLAGS.workers)
  device = jax.devices()[0]
  result = {"degradation": config.data.degradation, "hr_patch": FLAGS.hr_patch,
            "batch_size": FLAGS.batch_size, "workers": FLAGS.workers, "steps": FLAGS.steps,
            "backend": jax.default_backend(), "device_kind": device.device_kind,
            "host_cpus": os.cpu_count(), "patches_per_sec": rates}
  print(f"{config.data.degradation}, GT {FLAGS.hr_patch}, batch {FLAGS.batch_size}, "
        f"{os.cpu_count()} CPUs, {jax.default_backend()} ({device.device_kind}): patches/s")
  for name, rate in rates.items():
    if rate is not None:
      per_worker = (f"  ({rate / FLAGS.workers:.1f} per worker)"
                    if "total" in name and FLAGS.workers else "")
      print(f"  {name:24s}{rate:10.1f}{per_worker}")
  if FLAGS.json:
    with open(FLAGS.json, "w") as f:
      json.dump(result, f, indent=1)


if __name__ == "__main__":
  cli.run(main)
