"""Real-ESRGAN in the train step: the prepare_batch hook, the pool in the state, exact resume."""
import jax
import jax.numpy as jnp
import numpy as np

from sr_jax.config import default_config
from sr_jax.data import degradations as deg
from sr_jax.ops import degradations_jax as dj
from sr_jax.train import checkpoint, inputs, step, trainer


def _device_config(c):
  c.data.degradation = "realesrgan"
  c.data.degradation_device = True
  c.degradation.pool_size = 2 * c.train.batch_size
  return c


def _host_batch(c, n, seed):
  rng = np.random.default_rng(seed)
  p = c.data.hr_patch
  hr = rng.integers(0, 256, (n, p, p, 3), dtype=np.uint8)
  params = [deg.sample_params(rng, c.degradation, (p, p, 3), c.scale) for _ in range(n)]
  stacked = {k: np.stack([q[k] for q in params]) for k in params[0] if k != "noise_seed"}
  return {"hr": hr, **stacked}


def test_hook_passes_pairs_through_while_the_pool_fills_then_swaps():
  c = default_config()
  c.data.hr_patch, c.train.batch_size = 32, 2
  c = _device_config(c)  # a pool of two batches
  prepare = jax.jit(inputs.prepare_batch(c))
  reference = jax.jit(lambda hr, p, k: dj.apply_device(dj.usm_sharpen(hr), p, k, scale=2,
                                                       cfg=c.degradation))
  pool = inputs.init_pool(c)
  key = jax.random.key(0)
  batches = [_host_batch(c, 2, seed) for seed in range(3)]
  outs = []
  for b in batches:
    out, pool = prepare(b, key, pool)
    outs.append(out)
  for b, out in zip(batches[:2], outs[:2]):  # filling: this batch's own pairs
    gt = b["hr"] / np.float32(255)
    np.testing.assert_allclose(out["gt"], gt, atol=1e-7)
    params = {k: v for k, v in b.items() if k != "hr"}
    np.testing.assert_allclose(out["lr"], reference(gt, params, jax.random.split(key)[0]),
                               atol=1e-6)
    np.testing.assert_allclose(out["hr"], dj.usm_sharpen(out["gt"]), atol=1e-6)
  assert int(pool.filled) == 4
  stored = {bytes(x) for x in np.asarray(pool.hr)}
  assert all(bytes(x) in stored for x in batches[2]["hr"])  # the third batch went into the pool
  assert outs[2]["lr"].shape == (2, 16, 16, 3) and outs[2]["gt"].shape == (2, 32, 32, 3)


def test_hook_is_the_default_on_the_host_path():
  c = default_config()
  assert inputs.prepare_batch(c) is step.host_pairs and inputs.init_pool(c) is None
  out, pool = step.host_pairs({"lr": jnp.full((1, 2, 2, 3), 255, jnp.uint8)}, None, None)
  assert pool is None and float(out["lr"].max()) == 1.0


def test_device_degradation_trains_and_resumes_exactly(tiny_config, tmp_path):
  c = _device_config(tiny_config)  # 4 steps of 4 pairs, pool of 8: full after step 2
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
