"""Orbax checkpoints of the whole run: train state, grain iterator state and config.

Every process creates and calls the manager (Orbax coordinates multi-host saves). Saves
are asynchronous; the latest `keep_checkpoints` are kept, plus the `keep_best` best by the
validation metric `config.val.best_metric`.
"""
import json

import grain
from etils import epath
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import orbax.checkpoint as ocp

from sr_jax.train.step import TrainState


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
    self.manager = ocp.CheckpointManager(
        checkpoint_dir(workdir),
        options=ocp.CheckpointManagerOptions(
            preservation_policy=_policy(config.train, f"val/{config.val.best_metric}"),
            create=True, enable_async_checkpointing=True))

  def latest_step(self) -> int | None:
    return self.manager.latest_step()

  def save(self, step: int, state: TrainState, data_iter, metrics=None, force=False) -> bool:
    """data_iter None: no input-pipeline state, e.g. for converted weights (sr_jax.convert)."""
    items = {"state": ocp.args.StandardSave(state), "config": ocp.args.JsonSave(self._config_json)}
    if data_iter is not None:
      items["data"] = grain.checkpoint.CheckpointSave(data_iter)
    return self.manager.save(step, args=ocp.args.Composite(**items), metrics=metrics, force=force)

  def save_final(self, step: int, state: TrainState, data_iter):
    """Saves now unless this step is already saved (interrupts, preemption)."""
    if step and self.manager.latest_step() != step:
      self.save(step, state, data_iter, force=True)

  def restore(self, step: int, abstract_state: TrainState, data_iter) -> TrainState:
    restored = self.manager.restore(step, args=ocp.args.Composite(
        state=ocp.args.StandardRestore(abstract_state),
        data=grain.checkpoint.CheckpointRestore(data_iter)))
    return restored.state

  def reached_preemption(self, step: int) -> bool:
    return self.manager.reached_preemption(step)

  def close(self):
    self.manager.wait_until_finished()
    self.manager.close()


def abstract_like(state: TrainState) -> TrainState:
  """Shape/dtype/sharding targets for a restore, from a (possibly abstract) state."""
  return jax.tree.map(ocp.utils.to_shape_dtype_struct, state)


def load_run(workdir: str, step: int | None = None):
  """(config, state as a dict of NumPy arrays, step) of a run, on any device topology.

  Used by evaluation, conversion and `init_from`, which need the values, not the shardings.
  """
  manager = ocp.CheckpointManager(checkpoint_dir(workdir), item_handlers={
      "state": ocp.PyTreeCheckpointHandler(), "config": ocp.JsonCheckpointHandler(),
      "data": grain.checkpoint.CheckpointHandler()})
  step = manager.latest_step() if step is None else step
  if step is None:
    raise FileNotFoundError(f"{checkpoint_dir(workdir)}: no checkpoint")
  tree = manager.item_metadata(step)["state"].tree
  as_numpy = jax.tree.map(lambda _: ocp.RestoreArgs(restore_type=np.ndarray), tree)
  restored = manager.restore(step, args=ocp.args.Composite(
      state=ocp.args.PyTreeRestore(restore_args=as_numpy), config=ocp.args.JsonRestore()))
  manager.close()
  return ml_collections.ConfigDict(restored.config), restored.state, step


def load_inference_variables(workdir: str, step: int | None = None):
  """(config, model variables to predict with: the EMA parameters when the run has them, and
  the model state, as device arrays, step) of a run."""
  config, state, step = load_run(workdir, step)
  params = state["ema_params"] or state["params"]
  variables = jax.tree.map(jnp.asarray, {"params": params, **(state["model_state"] or {})})
  return config, variables, step
