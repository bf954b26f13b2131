"""Real-ESRGAN on the accelerator: the train step's `prepare_batch` hook and the pool it keeps.

With `config.data.degradation_device`, grain yields HR patches and each sample's parameters
(`degradations.sample_params`); inside the jitted step this hook sharpens, degrades (noise from the
step's key), exchanges the pairs with the training-pair pool held in the TrainState (so a checkpoint
holds it), and re-sharpens the target, in Real-ESRGAN's order. Resumes are exact: the key comes from
the step, the pool from the checkpoint, the parameters from the restored grain iterator.
"""
import jax
import jax.numpy as jnp

from sr_jax.data import degradations
from sr_jax.ops import degradations_jax as dj
from sr_jax.train import step as step_lib


def init_pool(config):
  """An empty uint8 pool of (LR, GT) pairs (LR is on the 8-bit grid), or None when there is none."""
  size = config.degradation.pool_size
  if not (config.data.degradation == "realesrgan" and config.data.degradation_device and size):
    return None
  hr = config.data.hr_patch
  lr = hr // config.scale
  return degradations.Pool(jnp.zeros((size, lr, lr, 3), jnp.uint8),
                           jnp.zeros((size, hr, hr, 3), jnp.uint8), jnp.zeros((), jnp.int32))


def prepare_batch(config):
  """The hook for make_train_step: `step.host_pairs`, or Real-ESRGAN degrading on the device."""
  if not (config.data.degradation == "realesrgan" and config.data.degradation_device):
    return step_lib.host_pairs
  cfg, scale = config.degradation, config.scale
  sharpen = lambda x: dj.usm_sharpen(x, **cfg.usm)

  def degrade(batch, key, pool):
    params = {k: v for k, v in batch.items() if k != "hr"}
    gt = step_lib.to_unit(batch["hr"])
    degrade_key, pool_key = jax.random.split(key)
    lr = dj.apply_device(sharpen(gt) if cfg.degrade_sharpened else gt, params, degrade_key,
                         scale=scale, cfg=cfg)
    if pool is not None:
      lr8 = jnp.round(lr * 255).astype(jnp.uint8)
      pool, lr8, gt8 = dj.pool_exchange(pool, lr8, batch["hr"], pool_key)
      lr, gt = step_lib.to_unit(lr8), step_lib.to_unit(gt8)
    if not cfg.usm_target:
      return {"lr": lr, "hr": gt}, pool
    return {"lr": lr, "hr": sharpen(gt), "gt": gt}, pool

  return degrade
