"""train_and_evaluate(config, workdir): the whole run, resumable from its workdir.

config → data source and validation sets (bad input fails here, before any compile) →
model, optimizer, sharded state → jit-compiled step over grain batches → periodic
validation, CLU/jsonl logs and Orbax checkpoints. Re-running on the same workdir resumes,
exactly: the parameters and logged losses equal an uninterrupted run's. SIGTERM or SIGINT
(preemption, Ctrl-C) lets the current step finish, saves, and raises `Preempted`. A workdir that
is not writable, lacks the disk space for the checkpoints, or holds a run of another
architecture fails before anything compiles.
"""
import dataclasses
import json
import signal
import threading
import time
from typing import Any

from absl import logging
from etils import epath
from flax import traverse_util
import jax
from jax.experimental import multihost_utils
import jax.numpy as jnp
import ml_collections
import numpy as np

from sr_jax import config as config_lib
from sr_jax import models, weights
from sr_jax.data import pipeline, sources
from sr_jax.bench import flops
from sr_jax.metrics import benchmark, predictors
from sr_jax.train import (checkpoint, modes, optim, recovery, requirements, sharding,
                          step as step_lib, writers)


def load_validation_sets(config):
  """Benchmark LR made as the training LR is for BD/DN runs, bicubic otherwise."""
  degrade = benchmark.DEGRADATIONS.get(config.data.degradation, benchmark.DEGRADATIONS["bicubic"])
  return {name: benchmark.load_set(spec, config.scale, config.channels, degrade)
          for name, spec in config.val.sets.items()}


def _initial_params(config, init_run: str,
                    state: step_lib.TrainState) -> step_lib.TrainState:
  """`config.init_from` (its run directory): start from another run's generator (the parameters
  its validation chose, as inference loads them), e.g. a PSNR-oriented one, or from official
  weights (sr_jax.weights.run_for).

  Its BatchNorm statistics come too (SRResNet); a GAN's discriminator starts fresh. With
  `init_strict` False (BasicSR's strict_load_g: false), parameters the source lacks or holds in
  other shapes (another scale's upsampler) keep their initialisation, and the log names them."""
  _, variables, step = checkpoint.load_generator(init_run)
  logging.info("Initialising parameters from %s (step %d)", init_run, step)
  fresh = []

  def like(new, old):
    old = traverse_util.flatten_dict(old, sep="/")
    out = {}
    for path, n in traverse_util.flatten_dict(new, sep="/").items():
      o = old.get(path)
      if o is None or np.size(o) != n.size:
        if config.init_strict:
          raise config_lib.ConfigError(
              f"init_from={config.init_from}: parameter {path} is "
              f"{'absent' if o is None else f'of shape {np.shape(o)}'} there, {n.shape} here "
              f"(--config.init_strict=False keeps such parameters at their initialisation)")
        fresh.append(path)
        out[path] = n
      else:
        out[path] = jnp.asarray(o, n.dtype).reshape(n.shape)
    return traverse_util.unflatten_dict(out, sep="/")

  params = like(state.params, variables.pop("params"))
  model_state = like(state.model_state, variables) if state.model_state else state.model_state
  if fresh:
    logging.info("Not in %s, so kept at their initialisation: %s", init_run, ", ".join(fresh))
  return state.replace(params=params, model_state=model_state,
                       ema_params=params if state.ema_params is not None else None)


def _flat(results) -> dict[str, float]:
  """{'SET/metric': mean} of Benchmark.run's results."""
  return {f"{set_name}/{k}": v for set_name, r in results.items() for k, v in r["mean"].items()}


def _log_validation(writer, step, results, kept, sets, scale):
  scalars = {f"val/{k}": v for k, v in _flat(results).items()}
  writer.write_scalars(step, scalars)
  by_name = {f"{set_name}/{s.name}": s for set_name, samples in sets.items() for s in samples}
  if kept:
    writer.write_images(step, {f"val/{key}": benchmark.comparison_strip(by_name[key], sr, scale)[None]
                               for key, sr in kept.items()})
  return scalars


@dataclasses.dataclass
class Setup:
  """Everything a run or a benchmark needs before the first step."""
  mesh: jax.sharding.Mesh
  model: Any
  state: step_lib.TrainState
  state_sharding: Any
  train_step: Any  # jax.jit-wrapped, not yet compiled
  batch_spec: dict  # ShapeDtypeStructs of one global batch, with its sharding
  host_dataset: Any  # grain IterDataset of this process's host batches
  step_args: tuple = ()  # train_step(state, batch, *step_args): frozen networks (VGG, a teacher)


def setup(config: ml_collections.ConfigDict) -> Setup:
  """Validates the config and data, builds the sharded state and the jitted step of the
  config's training mode (sr_jax.train.modes)."""
  config_lib.validate(config, num_devices=jax.device_count())
  source = sources.training_source(config.data, config.channels)
  mesh = sharding.make_mesh()
  model = models.from_config(config)
  schedule = optim.make_schedule(config.optim, config.train.num_steps)
  tx = optim.make_optimizer(config.optim, schedule)
  lr_patch = config.data.hr_patch // config.scale
  lr_shape = (1, lr_patch, lr_patch, config.channels)
  built = modes.get(config.train.mode).build(config, model, tx, schedule, lr_shape)

  state_sharding = jax.tree.map(lambda _: sharding.replicated(mesh), jax.eval_shape(built.init))
  state = jax.jit(built.init, out_shardings=state_sharding)()
  batch = sharding.batch_sharding(mesh)
  step_args = jax.device_put(built.step_args, sharding.replicated(mesh))
  train_step = jax.jit(
      built.step,
      in_shardings=(state_sharding, batch) + (sharding.replicated(mesh),) * len(step_args),
      out_shardings=(state_sharding, sharding.replicated(mesh)), donate_argnums=(0,))
  batch_spec = {k: jax.ShapeDtypeStruct((config.train.batch_size, *s.shape), s.dtype, sharding=batch)
                for k, s in pipeline.element_spec(config.data, config.scale, config.channels,
                                                  config.degradation).items()}
  host_dataset = pipeline.training_dataset(
      source, config.data, config.scale, config.train.batch_size, config.seed,
      jax.process_index(), jax.process_count(), config.degradation)
  return Setup(mesh, model, state, state_sharding, train_step, batch_spec, host_dataset, step_args)


class Preempted(Exception):
  """Training stopped early on a signal or preemption notice, its checkpoint saved."""

  def __init__(self, step: int):
    super().__init__(f"preempted at step {step}: checkpoint saved; re-run the same command to "
                     "resume")
    self.step = step


class _StopRequests:
  """SIGTERM and SIGINT while training set a flag that the loop reads on the host after each
  step (no device sync), instead of killing the process mid-step or mid-save.

  Several processes must stop at the same step. There SIGTERM stays with JAX's preemption sync
  manager (jax.distributed installs it; TPU maintenance notices arrive the same way) and Orbax's
  `reached_preemption` reports the step all processes agreed on; SIGINT's flag is agreed on
  with one all-gather every `every` steps, at log steps, where the host waits for metrics anyway.
  """

  def __init__(self, every: int):
    self._every, self._previous, self._received = every, {}, False
    several = jax.process_count() > 1
    self._signals = (signal.SIGINT,) if several else (signal.SIGINT, signal.SIGTERM)

  def __enter__(self):
    if threading.current_thread() is threading.main_thread():  # Python's only signal thread
      self._previous = {sig: signal.signal(sig, self._set) for sig in self._signals}
    return self

  def __exit__(self, *exc_info):
    for sig, handler in self._previous.items():
      signal.signal(sig, signal.SIG_DFL if handler is None else handler)

  def _set(self, signum, frame):
    del signum, frame
    self._received = True

  def __call__(self, step: int) -> bool:
    if jax.process_count() == 1:
      return self._received
    return step % self._every == 0 and bool(
        multihost_utils.process_allgather(np.int32(self._received)).any())


def _check_against_saved(config, workdir: str, init_run: str):
  """Resuming, or initialising from, a run of another architecture fails here, before anything
  compiles, instead of in Orbax's restore or (same sizes, other shapes) not at all."""
  saved, source = checkpoint.saved_config(workdir), workdir
  wanted = checkpoint.architecture(config)
  if saved is None and init_run:
    saved, source = checkpoint.saved_config(init_run), f"init_from={config.init_from}"
    if not config.init_strict:
      del wanted["scale"]  # another scale's run: its upsampler stays behind
    if saved is None:
      raise FileNotFoundError(f"{source}: no checkpoint there")
  if saved is not None:
    checkpoint.check_matches(source, saved, wanted, "the config")


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str) -> dict:
  """Trains to config.train.num_steps; returns the last validation scalars. Raises Preempted
  when a signal or a preemption notice stopped it early, after saving."""
  with _StopRequests(config.train.log_every) as stop:
    return _train(config, workdir, stop)


def _train(config: ml_collections.ConfigDict, workdir: str, stop: _StopRequests) -> dict:
  config_lib.validate(config, num_devices=jax.device_count())
  requirements.check(config)  # data sets, VGG weights, the init_from run: all missing at once
  val_sets = load_validation_sets(config)  # bad data fails here, before anything compiles
  checkpoint.check_writable(workdir)
  # A weights file or release name becomes a run directory (downloaded, converted once); a run
  # that resumes needs none.
  resuming = checkpoint.saved_config(workdir) is not None
  init_run = (weights.run_for(config.init_from, "init_from") if config.init_from and not resuming
              else "")
  _check_against_saved(config, workdir, init_run)
  run = setup(config)
  checkpoint.check_free_space(workdir, run.state, config.train)
  workdir = epath.Path(workdir)
  mesh, model, state = run.mesh, run.model, run.state
  data_iter = iter(pipeline.on_devices(run.host_dataset, sharding.batch_sharding(mesh),
                                       config.data.device_prefetch))

  ckpt = checkpoint.Checkpointer(str(workdir), config)
  start, carried = ckpt.latest_step(), {}
  if start is not None:
    logging.info("Resuming from %s at step %d", workdir, start)
    state = ckpt.restore(start, checkpoint.abstract_like(state), data_iter)
    carried = ckpt.restore_host(start)
  elif init_run:
    state = _initial_params(config, init_run, state)
  start = start or 0

  t0 = time.time()
  train_step = run.train_step.lower(checkpoint.abstract_like(state), run.batch_spec,
                                    *run.step_args).compile()
  logging.info("Compiled the train step in %.1f s", time.time() - t0)

  bench = benchmark.Benchmark(val_sets, config.scale, config.val.pad_multiple,
                              config.val.batch_size, mesh)
  evaluate_batch = bench.compile(predictors.for_evaluation(
      lambda variables, lr: model.apply(variables, lr, train=False), config.scale,
      config.val.self_ensemble, config.val.tile, config.val.tile_overlap))
  writer = writers.create_writer(str(workdir), config)
  if jax.process_index() == 0:
    _write_run_info(workdir, config, state, train_step)
    writer.write_hparams(writers.flat_config(config))
  progress = writers.ProgressLine(config.train.num_steps)
  profile = _Profile(config.train.profile_steps, workdir)
  nonfinite = recovery.Recovery(config.train, ckpt, writer, carried.get("nonfinite_counts"))

  ema_warmup = step_lib.ema_warmup_steps(config.train.ema_decay)

  def validate(step):
    """Validates the EMA; while it warms up, the raw weights too, and reports (and records
    for inference and `best` checkpoints) whichever is better on val.best_metric."""
    run = lambda weights: bench.run(
        evaluate_batch, {"params": step_lib.eval_params(state, weights), **state.model_state},
        config.val.num_logged_images)
    if state.ema_params is None or step >= ema_warmup:
      return "ema", _log_validation(writer, step, *run("ema"), val_sets, config.scale)
    both = {w: run(w) for w in ("ema", "raw")}
    metric = lambda w: _flat(both[w][0])[config.val.best_metric]
    better = max(both, key=metric)
    writer.write_scalars(step, {f"val/{k.replace('/', f'/{w}/', 1)}": v
                                for w in both for k, v in _flat(both[w][0]).items()})
    return better, _log_validation(writer, step, *both[better], val_sets, config.scale)

  def host_state():
    """What the loop needs to go on exactly as if never stopped: the metrics of the log window
    under way (a stop does not cut it) and the non-finite counts; and which parameters the last
    validation chose (sr_jax.train.checkpoint.load_generator reads it)."""
    unlogged = [{k: float(v) for k, v in m.items()} for m in jax.device_get(pending)]
    return {"unlogged_metrics": unlogged, "nonfinite_counts": nonfinite.counts(),
            "eval_weights": eval_weights}

  step, pending, scalars, stopped = start, carried.get("unlogged_metrics", []), {}, False
  eval_weights = carried.get("eval_weights", "ema")
  progress.start(step)
  try:
    while step < config.train.num_steps:
      profile.before(step)
      state, metrics = train_step(state, next(data_iter), *run.step_args)
      step += 1
      profile.after(step, metrics)
      pending.append(metrics)
      stopped = stop(step) or ckpt.reached_preemption(step)
      if step % config.train.log_every == 0 or step == config.train.num_steps:
        averaged = {f"train/{k}": v for k, v in nonfinite.window(jax.device_get(pending)).items()}
        writer.write_scalars(step, averaged)
        rate = progress(step, averaged)  # wall-clock: its own row, apart from the exact ones
        if rate:
          writer.write_scalars(step, rate)
        pending = []
      at_end = step == config.train.num_steps
      state, step, rewound = nonfinite.check(step, state, at_end or stopped)  # may stop or reload
      if rewound:  # from an earlier checkpoint's step: no rate across the rewind
        progress.start(step)
        continue
      if step % config.train.eval_every == 0 or at_end:
        eval_weights, scalars = validate(step)
      if step % config.train.checkpoint_every == 0 or at_end:
        ckpt.save(step, state, data_iter, metrics=scalars if step % config.train.eval_every == 0
                  or at_end else None, force=at_end, host=host_state())
      if stopped:
        logging.warning("Stopping at step %d (signal or preemption notice): saving.", step)
        ckpt.save_final(step, state, data_iter, host_state())
        break
  finally:
    profile.after(config.train.num_steps, None)
    ckpt.close()
    writer.flush()
    writer.close()
  if stopped and step < config.train.num_steps:  # a signal in the last step: the run is done
    raise Preempted(step)
  if step == config.train.num_steps and jax.process_index() == 0:
    (workdir / "DONE").write_text(str(step))
  return scalars


class _Profile:
  """A jax.profiler trace of the steps after START up to END (`config.train.profile_steps`),
  written under the workdir where TensorBoard's profile tab finds it, plus a Perfetto trace."""

  def __init__(self, steps: str, workdir):
    start, _, end = steps.partition(":")
    self._range = (int(start), int(end)) if steps else None
    self._workdir, self._on = str(workdir), False

  def before(self, step: int):
    if self._range and step == self._range[0] and not self._on:
      jax.profiler.start_trace(self._workdir, create_perfetto_trace=True)
      self._on = True

  def after(self, step: int, metrics):
    if self._on and step >= self._range[1]:
      jax.block_until_ready(metrics)  # the traced steps' device work, finished
      jax.profiler.stop_trace()
      self._on = False
      logging.info("Profile of steps %d-%d written to %s/plugins/profile", self._range[0] + 1,
                   self._range[1], self._workdir)


def _write_run_info(workdir, config, state, compiled_step):
  num_params = sum(int(np.prod(x.shape)) for x in jax.tree.leaves(state.params))
  info = {"num_params": num_params,
          "train_flops_per_step": flops.xla_flops(compiled_step, jax.device_count()) or 0.0,
          "config": json.loads(config.to_json_best_effort())}
  (workdir / "run_info.json").write_text(json.dumps(info, indent=1))
