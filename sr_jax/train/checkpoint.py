"""Orbax checkpoints of the whole run: train state, grain iterator state, config, and the
training loop's host state (metrics not yet logged, non-finite counts).

Every process creates and calls the manager (Orbax coordinates multi-host saves). Saves
are asynchronous; the latest `keep_checkpoints` are kept, plus the `keep_best` best by the
validation metric `config.val.best_metric`. Orbax writes a save to `<step>.orbax-checkpoint-tmp`
and renames it to `<step>` when complete (on gs://, where renames are not atomic, it writes
commit_success.txt last instead), so a process killed mid-save leaves only a temporary directory:
`latest_step` never names it, and the next Checkpointer deletes it before its first save.

A run's config is saved with it; `check_matches` is the one comparison of a run's architecture
with what a command expects (resume, `init_from`, evaluation), made before anything compiles.
"""
import contextlib
import dataclasses
import json
import os
import pathlib
import shutil

from absl import logging
import grain
from etils import epath
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import orbax.checkpoint as ocp

from sr_jax.config import ConfigError
from sr_jax.train.step import TrainState

# TrainState fields added after the first checkpoints were written, with the value that means
# what those checkpoints did.
_ADDED_FIELDS = {"lr_scale": 1.0}

# How a model computes, not what it holds: runs differing only here share parameters.
_NOT_ARCHITECTURE = ("model.dtype", "model.scan_mode")


class WorkdirError(OSError):
  """A workdir that cannot hold the run: not writable, too little space, a failed save."""


def _policy(train_config, best_metric: str):
  policies = [ocp.checkpoint_managers.LatestN(n=train_config.keep_checkpoints)]
  if train_config.keep_best:
    policies.append(ocp.checkpoint_managers.BestN(
        get_metric_fn=lambda metrics: metrics[best_metric], n=train_config.keep_best,
        keep_checkpoints_without_metrics=False))
  return ocp.checkpoint_managers.AnyPreservationPolicy(policies)


def checkpoint_dir(workdir) -> epath.Path:
  return epath.Path(workdir) / "checkpoints"


class Checkpointer:
  def __init__(self, workdir: str, config: ml_collections.ConfigDict):
    self._config_json = json.loads(config.to_json_best_effort())
    self._dir = checkpoint_dir(workdir)
    self.manager = ocp.CheckpointManager(
        checkpoint_dir(workdir),
        options=ocp.CheckpointManagerOptions(
            preservation_policy=_policy(config.train, f"val/{config.val.best_metric}"),
            create=True, enable_async_checkpointing=True, cleanup_tmp_directories=True))

  def latest_step(self) -> int | None:
    return self.manager.latest_step()

  def save(self, step: int, state: TrainState, data_iter, metrics=None, force=False,
           host: dict | None = None) -> bool:
    """data_iter None: no input-pipeline state, e.g. for converted weights (sr_jax.convert).
    host: the training loop's own JSON state (see restore_host)."""
    items = {"state": ocp.args.StandardSave(state), "config": ocp.args.JsonSave(self._config_json)}
    if data_iter is not None:
      items["data"] = grain.checkpoint.CheckpointSave(data_iter)
    if host is not None:
      items["host"] = ocp.args.JsonSave(host)
    with self._reporting_failures():
      return self.manager.save(step, args=ocp.args.Composite(**items), metrics=metrics,
                               force=force)

  @contextlib.contextmanager
  def _reporting_failures(self):
    """A failed write (full disk, lost permission) as one line. Orbax never renames a failed
    save into place, so the latest complete checkpoint is still there and still restores."""
    try:
      yield
    except OSError as e:
      raise WorkdirError(f"{self._dir}: saving a checkpoint failed ({e}); the latest complete "
                         f"one (step {self.manager.latest_step()}) is intact") from e

  def save_final(self, step: int, state: TrainState, data_iter, host: dict | None = None):
    """Saves now unless this step is already saved (interrupts, preemption)."""
    if step and self.manager.latest_step() != step:
      self.save(step, state, data_iter, force=True, host=host)

  def restore(self, step: int, abstract_state: TrainState, data_iter=None) -> TrainState:
    """The train state saved at `step`, placed as `abstract_state` says; the input pipeline's
    position too unless data_iter is None (the non-finite policy's reload keeps its place).

    Checkpoints from before a TrainState field existed restore with its `_ADDED_FIELDS` value."""
    saved = ocp.StandardCheckpointHandler().metadata(self._dir / str(step) / "state").tree
    missing = {f: default for f, default in _ADDED_FIELDS.items() if f not in saved}
    target = {f.name: getattr(abstract_state, f.name) for f in dataclasses.fields(abstract_state)
              if f.name not in missing}
    items = {"state": ocp.args.StandardRestore(target)}
    if data_iter is not None:
      items["data"] = grain.checkpoint.CheckpointRestore(data_iter)
    restored = self.manager.restore(step, args=ocp.args.Composite(**items)).state
    for name, default in missing.items():
      logging.info("Checkpoint %d predates TrainState.%s; starting it at %s", step, name, default)
      like = getattr(abstract_state, name)
      restored[name] = jax.device_put(jnp.full(like.shape, default, like.dtype), like.sharding)
    return type(abstract_state)(**restored)  # TrainState or a subclass (gan.GanState)

  def restore_host(self, step: int) -> dict:
    """The training loop's JSON state saved at `step` (its unlogged metrics, the non-finite
    counts); {} for checkpoints written without one."""
    if not (self._dir / str(step) / "host").exists():
      return {}
    return self.manager.restore(step, args=ocp.args.Composite(host=ocp.args.JsonRestore())).host

  def reached_preemption(self, step: int) -> bool:
    return self.manager.reached_preemption(step)

  def close(self):
    """Waits for the save in flight: a checkpoint counts once it is committed."""
    try:
      with self._reporting_failures():
        self.manager.wait_until_finished()
    finally:
      self.manager.close()


def abstract_like(state: TrainState) -> TrainState:
  """Shape/dtype/sharding targets for a restore, from a (possibly abstract) state."""
  return jax.tree.map(ocp.utils.to_shape_dtype_struct, state)


def no_checkpoint(workdir) -> str:
  return f"{workdir}: no checkpoint here (not a training run's workdir)"


def _reader(workdir: str) -> ocp.CheckpointManager:
  """A manager that reads any item of a run, on any device topology."""
  if not checkpoint_dir(workdir).is_dir():  # else Orbax would create it: reading writes nothing
    raise FileNotFoundError(no_checkpoint(workdir))
  return ocp.CheckpointManager(checkpoint_dir(workdir), item_handlers={
      "state": ocp.PyTreeCheckpointHandler(), "config": ocp.JsonCheckpointHandler(),
      "host": ocp.JsonCheckpointHandler(), "data": grain.checkpoint.CheckpointHandler()})


def saved_config(workdir: str) -> ml_collections.ConfigDict | None:
  """The config saved with a run's latest checkpoint (nothing else is read), None without one."""
  if not checkpoint_dir(workdir).is_dir():
    return None
  manager = _reader(workdir)
  step = manager.latest_step()
  config = None if step is None else manager.restore(
      step, args=ocp.args.Composite(config=ocp.args.JsonRestore())).config
  manager.close()
  return None if config is None else ml_collections.ConfigDict(config)


def architecture(config) -> dict:
  """What a run's parameters are, as flat JSON values: scale, channels and model.* (less the
  keys that only change how the model computes)."""
  flat = {"scale": config.scale, "channels": config.channels,
          **{f"model.{k}": v for k, v in config.model.items()}}
  return {k: json.loads(json.dumps(v, default=str)) for k, v in flat.items()
          if k not in _NOT_ARCHITECTURE}


def check_matches(workdir: str, saved: ml_collections.ConfigDict, wanted: dict, source: str):
  """Raises ConfigError naming the run and both values of every key of `wanted` (from
  `architecture`, or a subset) that differs from the saved config's; another model.name makes
  its other model keys moot. Resume, `init_from` and evaluation all check with this."""
  there = architecture(saved)
  here = {k: json.loads(json.dumps(v, default=str)) for k, v in wanted.items()}
  keys = [k for k in here if k in there and here[k] != there[k]]
  if "model.name" in keys:
    keys = [k for k in keys if not k.startswith("model.") or k == "model.name"]
  if keys:
    raise ConfigError(f"{workdir} holds a run with {', '.join(f'{k}={there[k]!r}' for k in keys)}"
                      f", but {source} asks for {', '.join(f'{k}={here[k]!r}' for k in keys)}")


def _size(num_bytes: float) -> str:
  for unit in ("B", "kB", "MB", "GB"):
    if num_bytes < 1000:
      return f"{num_bytes:.1f} {unit}"
    num_bytes /= 1000
  return f"{num_bytes:.1f} TB"


def check_writable(workdir: str):
  """Creates the workdir and writes a file there: a read-only or mistyped path fails now, not
  at the first checkpoint."""
  path = epath.Path(workdir)
  probe = path / f".write_probe.{jax.process_index()}"
  try:
    path.mkdir(parents=True, exist_ok=True)
    probe.write_text("")
    probe.unlink()
  except OSError as e:
    raise WorkdirError(f"{workdir}: not writable ({e.strerror or e})") from e


def check_free_space(workdir: str, state, train_config):
  """Fails now, not at a save hours in, when the workdir's disk cannot take keep_checkpoints +
  keep_best checkpoints and the one being written (less those already there). The state's
  bytes are the estimate of one checkpoint. Object stores (gs://) have no such limit to read."""
  if "://" in str(workdir):
    logging.info("%s: not a local path, free space not checked", workdir)
    return
  one = sum(x.nbytes for x in jax.tree.leaves(state))
  copies = train_config.keep_checkpoints + train_config.keep_best + 1
  present = sum(f.stat().st_size for f in pathlib.Path(checkpoint_dir(workdir)).rglob("*")
                if f.is_file())
  needed, free = one * copies - present, shutil.disk_usage(workdir).free
  if free < needed:
    raise WorkdirError(
        f"{workdir}: {_size(free)} free, but {copies} checkpoints of {_size(one)} "
        f"(train.keep_checkpoints + train.keep_best + 1 being written) need {_size(needed)} more")


def load_run(workdir: str, step: int | None = None):
  """(config, state as a dict of NumPy arrays, step) of a run, on any device topology.

  Used by evaluation, conversion and `init_from`, which need the values, not the shardings.
  """
  manager = _reader(workdir)
  step = manager.latest_step() if step is None else step
  if step is None:
    raise FileNotFoundError(no_checkpoint(workdir))
  tree = manager.item_metadata(step)["state"].tree
  as_numpy = jax.tree.map(lambda _: ocp.RestoreArgs(restore_type=np.ndarray), tree)
  restored = manager.restore(step, args=ocp.args.Composite(
      state=ocp.args.PyTreeRestore(restore_args=as_numpy), config=ocp.args.JsonRestore()))
  manager.close()
  return ml_collections.ConfigDict(restored.config), restored.state, step


def load_generator(workdir: str, step: int | None = None):
  """(config, the generator's variables to predict with, as device arrays, step) of a run: the
  parameters its validation judged better at that checkpoint (the EMA unless the host record
  says 'raw', see trainer), and the model state."""
  config, state, step = load_run(workdir, step)
  params = state["params"]
  if state.get("ema_params") and _host_record(workdir, step).get("eval_weights", "ema") == "ema":
    params = state["ema_params"]
  variables = jax.tree.map(jnp.asarray, {"params": params, **(state["model_state"] or {})})
  return config, variables, step


def _host_record(workdir: str, step: int) -> dict:
  """The training loop's JSON record saved with a checkpoint ({} without one)."""
  if not (checkpoint_dir(workdir) / str(step) / "host").exists():
    return {}
  manager = _reader(workdir)
  record = manager.restore(step, args=ocp.args.Composite(host=ocp.args.JsonRestore())).host
  manager.close()
  return record


def card_path(run) -> pathlib.Path:
  """A run's model card: where its weights came from, what they are, how they evaluated."""
  return pathlib.Path(run) / "model_card.json"


def read_card(run) -> dict:
  path = card_path(run)
  return json.loads(path.read_text()) if path.exists() else {}


def write_card(run, card: dict) -> None:
  """Writes model_card.json atomically (a reader never sees half of it)."""
  path = card_path(run)
  tmp = path.with_name(path.name + ".tmp")
  tmp.write_text(json.dumps(card, indent=1, default=str))
  os.replace(tmp, path)
