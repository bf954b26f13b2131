"""Real-ESRGAN in the train step: the prepare_batch hook (either path), the pool in the state, exact
resume."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax.config import default_config
from sr_jax.data import degradations as deg
from sr_jax.ops import degradations_jax as dj
from sr_jax.train import checkpoint, inputs, step, trainer


def _realesrgan_config(c, device=True):
  c.data.degradation = "realesrgan"
  c.data.degradation_device = device
  c.degradation.pool_size = 2 * c.train.batch_size
  c.degradation.crop_pad_size = 2 * c.data.hr_patch  # degraded whole, then paired-cropped
  return c


def _device_batch(c, n, seed):
  """What grain sends the device path: whole crop_pad_size patches, their params and crops."""
  rng = np.random.default_rng(seed)
  side, lr_patch = c.degradation.crop_pad_size, c.data.hr_patch // c.scale
  hr = rng.integers(0, 256, (n, side, side, 3), dtype=np.uint8)
  params = [deg.sample_params(rng, c.degradation, (side, side, 3), c.scale) for _ in range(n)]
  for q in params:
    q["crop"] = deg.crop_position(rng, q["lr_hw"], lr_patch)
  stacked = {k: np.stack([q[k] for q in params]) for k in params[0] if k != "noise_seed"}
  return {"hr": hr, **stacked}


def test_device_hook_degrades_crops_then_fills_the_pool_then_swaps():
  c = default_config()
  c.data.hr_patch, c.train.batch_size = 16, 2
  c = _realesrgan_config(c)  # a pool of two batches; 32² degraded, 16² / 8² crops
  prepare = jax.jit(inputs.prepare_batch(c))
  reference = jax.jit(lambda hr, p, k: dj.apply_device(dj.usm_sharpen(hr), p, k, scale=2,
                                                       cfg=c.degradation))
  pool = inputs.init_pool(c)
  key = jax.random.key(0)
  batches = [_device_batch(c, 2, seed) for seed in range(3)]
  outs = []
  for b in batches:
    out, pool = prepare(b, key, pool)
    outs.append(out)
  for b, out in zip(batches[:2], outs[:2]):  # filling: this batch's own pairs
    params = {k: v for k, v in b.items() if k not in ("hr", "crop")}
    lr = np.asarray(reference(b["hr"] / np.float32(255), params, jax.random.split(key)[0]))
    for i, (top, left) in enumerate(b["crop"]):
      np.testing.assert_allclose(out["lr"][i], lr[i, top:top + 8, left:left + 8], atol=1e-6)
      gt = b["hr"][i, 2 * top:2 * top + 16, 2 * left:2 * left + 16] / np.float32(255)
      np.testing.assert_allclose(out["gt"][i], gt, atol=1e-7)
    np.testing.assert_allclose(out["hr"], dj.usm_sharpen(out["gt"]), atol=1e-6)
  assert int(pool.filled) == 4
  assert outs[2]["lr"].shape == (2, 8, 8, 3) and outs[2]["gt"].shape == (2, 16, 16, 3)
  stored = {x.tobytes() for x in np.asarray(pool.hr)}
  third = batches[2]
  for i, (top, left) in enumerate(third["crop"]):  # the third batch's pairs went into the pool
    assert third["hr"][i, 2 * top:2 * top + 16, 2 * left:2 * left + 16].tobytes() in stored


def test_host_hook_pools_the_pairs_and_sharpens_the_gt_after_the_pool():
  c = default_config()
  c.data.hr_patch, c.train.batch_size = 16, 2
  c = _realesrgan_config(c, device=False)
  prepare = jax.jit(inputs.prepare_batch(c))
  pool = inputs.init_pool(c)
  assert pool.lr.shape == (4, 8, 8, 3) and pool.hr.shape == (4, 16, 16, 3)
  rng = np.random.default_rng(0)
  batches = [{"lr": rng.integers(0, 256, (2, 8, 8, 3), dtype=np.uint8),
              "hr": rng.integers(0, 256, (2, 16, 16, 3), dtype=np.uint8)} for _ in range(3)]
  outs = []
  for b in batches:
    out, pool = prepare(b, jax.random.key(1), pool)
    outs.append(out)
  for b, out in zip(batches[:2], outs[:2]):
    np.testing.assert_allclose(out["lr"], b["lr"] / np.float32(255), atol=1e-7)
    np.testing.assert_allclose(out["gt"], b["hr"] / np.float32(255), atol=1e-7)
  assert int(pool.filled) == 4
  seen = {bytes(x) for b in batches for x in b["hr"]}
  out_gt = {bytes(x) for x in np.round(np.asarray(outs[2]["gt"]) * 255).astype(np.uint8)}
  assert out_gt <= seen and out_gt != {bytes(x) for x in batches[2]["hr"]}  # from the pool
  for out in outs:  # the target is the sharpened GT that came out of the pool
    np.testing.assert_allclose(out["hr"], dj.usm_sharpen(out["gt"]), atol=1e-6)


def test_hook_is_the_default_on_the_host_path():
  c = default_config()
  assert inputs.prepare_batch(c) is step.host_pairs and inputs.init_pool(c) is None
  out, pool = step.host_pairs({"lr": jnp.full((1, 2, 2, 3), 255, jnp.uint8)}, None, None)
  assert pool is None and float(out["lr"].max()) == 1.0


@pytest.mark.slow
@pytest.mark.parametrize("device", [True, False])
def test_realesrgan_trains_and_resumes_exactly(tiny_config, tmp_path, device):
  c = _realesrgan_config(tiny_config, device)  # 4 steps of 4 pairs, pool of 8: full after step 2
  trainer.train_and_evaluate(c.copy_and_resolve_references(), str(tmp_path / "straight"))
  first_half = c.copy_and_resolve_references()
  first_half.train.num_steps = 2
  trainer.train_and_evaluate(first_half, str(tmp_path / "resumed"))
  trainer.train_and_evaluate(c, str(tmp_path / "resumed"))

  _, a, step_a = checkpoint.load_run(str(tmp_path / "straight"))
  _, b, step_b = checkpoint.load_run(str(tmp_path / "resumed"))
  assert step_a == step_b == 4
  assert int(a["pool"]["filled"]) == 8 and np.asarray(a["pool"]["lr"]).any()
  for key in ("params", "opt_state", "pool"):
    jax.tree.map(np.testing.assert_array_equal, a[key], b[key])
