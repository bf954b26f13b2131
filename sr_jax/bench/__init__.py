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

from sr_jax import extras, host_malloc
from sr_jax import inference as inference_lib  # not sr_jax.bench.inference
from sr_jax.bench import flops
from sr_jax.data import pipeline
from sr_jax.train import checkpoint, sharding

DATA_MODES = ("random", "real")
RESULTS_HEADER = (
    "| date | device | jax / jaxlib / flax / torch | config | batch | LR patch | steps/s real "
    "(random) | patches/s real | TFLOP/s (random) | FLOPs analytic/XLA | compile s | peak mem GiB "
    "| input patches/s | real/random | JAX/torch fp32 | JAX/torch bf16 | JAX/torch compile "
    "| rounds × steps, load before/after |\n"
    "|" + " --- |" * 18 + "\n")


def timed(fn, steps: int, warmup: int) -> float:
  """Calls per second of fn over `steps` calls after `warmup` calls, synchronised on the device."""
  out = None
  for _ in range(warmup):
    out = fn()
  jax.block_until_ready(out)
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


def interleaved(timers: dict, steps: int, rounds: int) -> dict[str, list[float]]:
  """{name: [steps/s per round]}: each round times `steps` calls of every timer in turn (A, B, A,
  B, ...), so that a change in the machine's load between rounds falls on every timer alike."""
  out = {name: [] for name in timers}
  for _ in range(rounds):
    for name, rate in timers.items():
      out[name].append(rate(steps))
  return out


def measure(config, steps: int, warmup: int, data_modes=DATA_MODES, torch_variants=(),
            rounds: int = 1) -> dict:
  """One config at its batch size and patch: compile, FLOPs, the input pipeline, and the step's
  steps/s per data mode, the median of `rounds` rounds of `steps` timed steps. With
  `torch_variants` (needs 'random' in data_modes), PyTorch's step of each variant is timed in the
  same rounds, interleaved with JAX's random-input step, and each ratio is the ratio of medians.
  The load average is recorded before and after."""
  load_before = os.getloadavg()
  from sr_jax.train import trainer  # pylint: disable=g-import-not-at-top  (only this benchmark
  # builds a training run: flops, inference and zoo import this package without the trainer)
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
  forward = inference_lib.predict_fn(run.model)
  variables = {"params": abstract_state.params, **abstract_state.model_state}
  step_flops = flops.count(run.train_step, abstract_state, run.batch_spec, *run.step_args)
  xla = flops.xla_flops(compiled, jax.device_count())
  batch = config.train.batch_size
  result = {"compile_s": compile_s, "lower_s": lower_s, "rounds": rounds,
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
  timings = {}
  if "real" in data_modes:
    data_it = iter(pipeline.on_devices(run.host_dataset, sharding.batch_sharding(run.mesh),
                                       config.data.device_prefetch))
    stepper.next_batch = lambda: next(data_it)
    try:
      timed(stepper, 0, warmup)
      timings.update(interleaved({"real": lambda n: timed(stepper, n, 0)}, steps, rounds))
    finally:
      _close(data_it)
  torch_steps = {}
  if "random" in data_modes:
    fixed = random_batch(config, run.batch_spec)
    stepper.next_batch = lambda: fixed
    timed(stepper, 0, warmup)
    timers = {"random": lambda n: timed(stepper, n, 0)}
    for variant in torch_variants:
      torch_steps[variant] = torch_references().warmed_up(config, variant, warmup)
      timers[f"torch_{variant}"] = torch_steps[variant][0].rate
    timings.update(interleaved(timers, steps, rounds))
  for mode in data_modes:
    rate = float(np.median(timings[mode]))
    result["step"][mode] = {"steps_per_s": rate, "patches_per_s": rate * batch,
                            "tflops_per_s": rate * step_flops / 1e12, "rounds": timings[mode]}
  if set(DATA_MODES) <= set(result["step"]):
    result["real_over_random"] = (result["step"]["real"]["steps_per_s"]
                                  / result["step"]["random"]["steps_per_s"])
  if torch_steps:
    jax_rate = result["step"]["random"]["steps_per_s"]
    result["torch"] = {}
    for variant, (step, warmup_s) in torch_steps.items():
      rate = float(np.median(timings[f"torch_{variant}"]))
      result["torch"][variant] = {
          "steps_per_s": rate, "patches_per_s": rate * batch, "warmup_s": warmup_s,
          "rounds": timings[f"torch_{variant}"], "jax_over_torch": jax_rate / rate, **step.info()}
  result["peak_memory_bytes"] = peak_memory()
  result["load_average"] = {"before": load_before, "after": os.getloadavg()}
  return result


def torch_references():
  """`torch_models`, or MissingExtra naming the extra to install when torch is missing."""
  extras.require("torch", "bench", "--torch")
  from sr_jax.bench import torch_models  # pylint: disable=g-import-not-at-top
  return torch_models


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
          "xla_flags": os.environ.get("XLA_FLAGS", ""),
          "malloc": host_malloc.to_set(os.environ),  # what `import sr_jax` set
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
      *(_fmt(torch.get(k, {}).get("jax_over_torch"), ".2f") for k in ("fp32", "bf16", "compile")),
      f"{r['rounds']} × {r['steps']}, {r['load_average']['before'][0]:.2f}/"
      f"{r['load_average']['after'][0]:.2f}"]
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
