"""Benchmarks of the training input pipeline and step.

`python -m sr_jax.bench --config=configs/NAME.py[:preset]` measures a config's real train step
(`trainer.setup`: sharding, EMA, metrics, donation) in one run: compile time, steady-state
steps/s with a random device-resident batch and with the real grain pipeline (their ratio says
whether input bounds training), the grain host pipeline alone, TFLOP/s from the analytic FLOP
count (`flops`, checked against XLA's cost analysis), peak device memory, and with --torch the
same step in PyTorch on the same machine (`torch_models`). `sr_jax.bench.input` sizes the input
side alone.
"""
import datetime
import importlib.metadata
import os
import pathlib
import time

import jax
import numpy as np

from sr_jax import extras, inference
from sr_jax.bench import flops
from sr_jax.data import pipeline
from sr_jax.train import checkpoint, sharding, trainer

DATA_MODES = ("random", "real")
RESULTS_HEADER = (
    "| date | device | jax / jaxlib / flax / torch | config | batch | LR patch | steps/s real "
    "(random) | patches/s real | TFLOP/s (random) | FLOPs analytic/XLA | compile s | peak mem GiB "
    "| input patches/s | real/random | JAX/torch fp32 | JAX/torch bf16 | JAX/torch compile |\n"
    "|" + " --- |" * 17 + "\n")


def timed(fn, steps: int, warmup: int) -> float:
  """Calls per second of fn over `steps` calls after `warmup` calls, synchronised on the device."""
  for _ in range(warmup):
    out = fn()
  jax.block_until_ready(out if warmup else None)
  t0 = time.perf_counter()
  for _ in range(steps):
    out = fn()
  jax.block_until_ready(out)
  return steps / (time.perf_counter() - t0)


def random_batch(config, batch_spec) -> dict:
  """One device-resident batch paired from uniform-noise HR images by the config's own MakePair."""
  make_pair = pipeline.make_pair(config.data, config.scale, config.degradation)
  rng = np.random.default_rng(config.seed)
  side = config.data.hr_patch
  pairs = [make_pair.random_map(rng.integers(0, 256, (side, side, config.channels), np.uint8), rng)
           for _ in range(config.train.batch_size)]
  return {k: jax.device_put(np.stack([p[k] for p in pairs]), spec.sharding)
          for k, spec in batch_spec.items()}


class _Stepper:
  """Runs the compiled step on the donated state; each call returns the metrics to sync on."""

  def __init__(self, compiled, state, next_batch, step_args=()):
    self.compiled, self.state, self.next_batch = compiled, state, next_batch
    self.step_args = step_args

  def __call__(self):
    self.state, metrics = self.compiled(self.state, self.next_batch(), *self.step_args)
    return metrics


def peak_memory() -> int | None:
  """Largest peak bytes in use over the local devices; None where a device keeps no stats (CPU)."""
  stats = [d.memory_stats() for d in jax.local_devices()]
  peaks = [s.get("peak_bytes_in_use") for s in stats if s]
  return max(peaks) if peaks and None not in peaks else None


def _close(it):
  if hasattr(it, "close"):
    it.close()


def measure(config, steps: int, warmup: int, data_modes=DATA_MODES) -> dict:
  """Everything but PyTorch for one config, at its batch size and patch."""
  run = trainer.setup(config)
  abstract_state = checkpoint.abstract_like(run.state)
  t0 = time.perf_counter()
  lowered = run.train_step.lower(abstract_state, run.batch_spec, *run.step_args)
  lower_s = time.perf_counter() - t0
  compiled = lowered.compile()
  compile_s = time.perf_counter() - t0

  lr_side = config.data.hr_patch // config.scale
  lr_spec = jax.ShapeDtypeStruct((config.train.batch_size, lr_side, lr_side, config.channels),
                                 np.float32)
  forward = inference.predict_fn(run.model)
  variables = {"params": abstract_state.params, **abstract_state.model_state}
  step_flops = flops.count(run.train_step, abstract_state, run.batch_spec, *run.step_args)
  xla = flops.xla_flops(compiled, jax.device_count())
  batch = config.train.batch_size
  result = {"compile_s": compile_s, "lower_s": lower_s,
            "flops": {"analytic_step": step_flops,
                      "analytic_forward": flops.count(forward, variables, lr_spec),
                      "xla_step": xla,
                      "analytic_over_xla": step_flops / xla if xla else None},
            "step": {}}

  host_it = iter(run.host_dataset)
  try:
    result["input_patches_per_s"] = timed(lambda: next(host_it), steps, max(warmup, 1)) * batch
  finally:
    _close(host_it)

  stepper = _Stepper(compiled, run.state, None, run.step_args)
  for mode in data_modes:
    if mode == "random":
      fixed = random_batch(config, run.batch_spec)
      stepper.next_batch = lambda: fixed
      rate = timed(stepper, steps, warmup)
    else:
      data_it = iter(pipeline.on_devices(run.host_dataset, sharding.batch_sharding(run.mesh),
                                         config.data.device_prefetch))
      stepper.next_batch = lambda: next(data_it)
      try:
        rate = timed(stepper, steps, warmup)
      finally:
        _close(data_it)
    result["step"][mode] = {"steps_per_s": rate, "patches_per_s": rate * batch,
                            "tflops_per_s": rate * step_flops / 1e12}
  if set(DATA_MODES) <= set(result["step"]):
    result["real_over_random"] = (result["step"]["real"]["steps_per_s"]
                                  / result["step"]["random"]["steps_per_s"])
  result["peak_memory_bytes"] = peak_memory()
  return result


def torch_references():
  """`torch_models`, or MissingExtra naming the extra to install when torch is missing."""
  extras.require("torch", "bench", "--torch")
  from sr_jax.bench import torch_models  # pylint: disable=g-import-not-at-top
  return torch_models


def measure_torch(config, variants, steps: int, warmup: int, jax_steps_per_s: float) -> dict:
  """PyTorch's step per variant, and JAX's random-input steps/s over each (> 1: JAX is faster)."""
  out = {}
  for variant in variants:
    r = torch_references().train_rate(config, variant, steps, warmup)
    r["jax_over_torch"] = jax_steps_per_s / r["steps_per_s"]
    out[variant] = r
  return out


def _version(package: str) -> str | None:
  try:
    return importlib.metadata.version(package)
  except importlib.metadata.PackageNotFoundError:
    return None


def environment() -> dict:
  device = jax.devices()[0]
  return {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
          "backend": jax.default_backend(), "device": device.device_kind,
          "num_devices": jax.device_count(), "host_cpus": os.cpu_count(),
          "versions": {p: _version(p) for p in ("jax", "jaxlib", "flax", "torch")}}


def _fmt(value, spec: str, scale: float = 1.0) -> str:
  return "-" if value is None else format(value / scale, spec)


def results_row(r: dict) -> str:
  """One markdown row of RESULTS.md for a result of `python -m sr_jax.bench`."""
  v = r["versions"]
  step = r["step"]
  real, rand = step.get("real", {}), step.get("random", {})
  torch = r.get("torch") or {}
  device = f"{r['device']} ×{r['num_devices']} ({r['backend']}, {r['host_cpus']} CPUs)"
  config = " ".join([r["config"], *r["overrides"]])
  cells = [
      r["date"][:10], device,
      " / ".join(str(v[p] or "-") for p in ("jax", "jaxlib", "flax", "torch")), config,
      str(r["batch"]), str(r["lr_patch"]),
      f"{_fmt(real.get('steps_per_s'), '.3g')} ({_fmt(rand.get('steps_per_s'), '.3g')})",
      _fmt(real.get("patches_per_s"), ".3g"), _fmt(rand.get("tflops_per_s"), ".3g"),
      _fmt(r["flops"]["analytic_over_xla"], ".3f"), _fmt(r["compile_s"], ".1f"),
      _fmt(r["peak_memory_bytes"], ".2f", 2**30), _fmt(r["input_patches_per_s"], ".3g"),
      _fmt(r.get("real_over_random"), ".2f"),
      *(_fmt(torch.get(k, {}).get("jax_over_torch"), ".2f") for k in ("fp32", "bf16", "compile"))]
  return "| " + " | ".join(cells) + " |\n"


def append_results(path: str, r: dict) -> None:
  """Appends the row, creating the file with its header first."""
  path = pathlib.Path(path)
  path.parent.mkdir(parents=True, exist_ok=True)
  if not path.exists():
    path.write_text("# Training-step benchmarks (`python -m sr_jax.bench`)\n\n"
                    "Ratios: JAX random-input steps/s over PyTorch's, same machine, same run.\n\n"
                    + RESULTS_HEADER)
  with path.open("a") as f:
    f.write(results_row(r))
