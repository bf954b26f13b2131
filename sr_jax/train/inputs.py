"""Real-ESRGAN in the train step: the `prepare_batch` hook and the training-pair pool it keeps.

Either path ends in the step, in Real-ESRGAN's order (`realesrgan_model.feed_data`): the uint8
(LR, GT) pairs are exchanged with the training-pair pool held in the TrainState (so a checkpoint
holds it), and the USM-sharpened target is made from the GT that comes out of the pool.
With `config.data.degradation_device`, grain yields whole crop_pad_size GT patches, each sample's
parameters (`degradations.sample_params`) and its crop position; this hook first sharpens, degrades
(noise from the step's key) and takes the paired crop. Otherwise grain yields the pairs, degraded
in its workers. Resumes are exact: the key comes from the step, the pool from the checkpoint, the
parameters and crops from the restored grain iterator.
"""
import jax
import jax.numpy as jnp

from sr_jax.data import degradations
from sr_jax.ops import degradations_jax as dj
from sr_jax.train import step as step_lib


def init_pool(config):
  """An empty uint8 pool of (LR, GT) pairs (LR is on the 8-bit grid), or None when there is none."""
  size = config.degradation.pool_size
  if not (config.data.degradation == "realesrgan" and size):
    return None
  hr = config.data.hr_patch
  lr = hr // config.scale
  return degradations.Pool(jnp.zeros((size, lr, lr, 3), jnp.uint8),
                           jnp.zeros((size, hr, hr, 3), jnp.uint8), jnp.zeros((), jnp.int32))


def prepare_batch(config):
  """The hook for make_train_step: `step.host_pairs`, or Real-ESRGAN's pool and USM target (after
  degrading and cropping on the device with `data.degradation_device`)."""
  if config.data.degradation != "realesrgan":
    return step_lib.host_pairs
  cfg, scale = config.degradation, config.scale
  lr_patch = config.data.hr_patch // scale
  sharpen = lambda x: dj.usm_sharpen(x, **cfg.usm)

  def finish(lr8, gt8, key, pool):
    if pool is not None:
      pool, lr8, gt8 = dj.pool_exchange(pool, lr8, gt8, key)
    lr, gt = step_lib.to_unit(lr8), step_lib.to_unit(gt8)
    if not cfg.usm_target:
      return {"lr": lr, "hr": gt}, pool
    return {"lr": lr, "hr": sharpen(gt), "gt": gt}, pool

  def pairs(batch, key, pool):
    return finish(batch["lr"], batch["hr"], jax.random.split(key)[1], pool)

  def degrade(batch, key, pool):
    params = {k: v for k, v in batch.items() if k not in ("hr", "crop")}
    gt = step_lib.to_unit(batch["hr"])
    degrade_key, pool_key = jax.random.split(key)
    lr = dj.apply_device(sharpen(gt) if cfg.degrade_sharpened else gt, params, degrade_key,
                         scale=scale, cfg=cfg)
    lr8 = jnp.round(lr * 255).astype(jnp.uint8)
    lr8, gt8 = dj.paired_crop(lr8, batch["hr"], batch["crop"], lr_patch, scale)
    return finish(lr8, gt8, pool_key, pool)

  return degrade if config.data.degradation_device else pairs
