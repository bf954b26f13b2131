"""Device degradations: parity with the CPU path, noise statistics, DiffJPEG and the libjpeg model, seeds,\nthe pool. (Stage-by-stage agreement with PyTorch: test_realesrgan_reference.py.)"""
import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sr_jax.data import degradations as deg
from sr_jax.ops import degradations_jax as dj

H = 48


def _image(h=H, w=H, seed=0):
  y, x = np.mgrid[0:h, 0:w] / max(h, w)
  rng = np.random.default_rng(seed)
  img = np.stack([x, y, 0.5 + 0.3 * np.sin(8 * x + 5 * y)], -1) + 0.05 * rng.standard_normal((h, w, 3))
  return np.clip(img, 0, 1).astype(np.float32)


def test_blur_and_resize_match_cpu_path():
  cfg = deg.realesrgan_defaults()
  plan = dj.plan(cfg, (H, H), 4)

  @jax.jit
  def device(x, p):
    hw = jnp.array([H, H])
    y = dj.resize(dj.blur(x, hw, p["kernel1"]), hw, p["resize1_hw"], p["resize1_method"],
                  plan.canvas1, ratio=p["resize1_ratio"])
    z = dj.resize(dj.blur(y, p["resize1_hw"], p["kernel2"]), p["resize1_hw"], p["resize2_hw"],
                  p["resize2_method"], plan.canvas2)
    return y, z

  x = _image()
  for seed in range(12):
    p = deg.sample_params(np.random.default_rng(seed), cfg, x.shape, 4)
    y = deg.resize(deg.blur(x, p["kernel1"]), p["resize1_hw"], deg.RESIZE_METHODS[p["resize1_method"]],
                   ratio=p["resize1_ratio"])
    z = deg.resize(deg.blur(y, p["kernel2"]), p["resize2_hw"], deg.RESIZE_METHODS[p["resize2_method"]])
    y_dev, z_dev = device(x, p)
    (h1, w1), (h2, w2) = p["resize1_hw"], p["resize2_hw"]
    np.testing.assert_allclose(np.asarray(y_dev)[:h1, :w1], y, atol=1e-5)
    np.testing.assert_allclose(np.asarray(z_dev)[:h2, :w2], z, atol=1e-5)


def test_gaussian_noise_statistics():
  x = jnp.full((128, 128, 3), 0.5)
  sigma = 10 / 255
  noise = np.asarray(dj.add_noise(x, jnp.array([128, 128]), True, sigma, 1.0, False, jax.random.key(0)) - x)
  assert abs(noise.mean()) < 0.05 * sigma
  assert noise.std() == pytest.approx(sigma, rel=0.05)


def test_jpeg_model_tracks_libjpeg_and_rises_with_quality():
  img = _image(45, 50)  # partial MCUs on both axes
  canvas = jnp.zeros((48, 64, 3)).at[:45, :50].set(img)
  model = jax.jit(dj.jpeg)
  src = np.round(img * 255) / 255
  psnr = []
  for q in (30, 50, 75, 95):
    out = np.asarray(model(canvas, jnp.array([45, 50]), q))[:45, :50]
    ref = deg.jpeg(img, q)
    assert 10 * np.log10(1 / np.mean((out - ref)**2)) > 40  # close to libjpeg
    psnr.append(10 * np.log10(1 / np.mean((out - src)**2)))
  assert all(a < b for a, b in zip(psnr, psnr[1:])), psnr


def test_diffjpeg_rises_with_quality_and_ignores_the_canvas_beyond_the_image():
  img = _image(45, 50)
  fn = jax.jit(dj.diffjpeg)
  psnr, hw = [], jnp.array([45, 50])
  for q in (30.0, 50.0, 75.0, 95.0):
    a = np.asarray(fn(jnp.zeros((48, 64, 3)).at[:45, :50].set(img), hw, q))[:45, :50]
    b = np.asarray(fn(jnp.ones((64, 80, 3)).at[:45, :50].set(img), hw, q))[:45, :50]
    np.testing.assert_array_equal(a, b)
    psnr.append(10 * np.log10(1 / np.mean((a - img)**2)))
  assert all(x < y for x, y in zip(psnr, psnr[1:])), psnr


def test_quant_tables_scale_as_libjpeg():
  np.testing.assert_array_equal(dj.quant_table(dj.LUMA_TABLE, 50), dj.LUMA_TABLE)
  assert float(dj.quant_table(dj.LUMA_TABLE, 100)[0, 0]) == 1
  assert float(dj.quant_table(dj.LUMA_TABLE, 25)[0, 0]) == (16 * 200 + 50) // 100


def test_apply_device_same_seed_same_bits():
  cfg = deg.realesrgan_defaults()
  hr = np.stack([(_image(32, 32, s) * 255).astype(np.uint8) for s in range(2)])
  params = [deg.sample_params(np.random.default_rng(s), cfg, hr.shape[1:], 4) for s in range(2)]
  params = jax.tree.map(lambda *a: np.stack(a), *params)
  fn = jax.jit(functools.partial(dj.apply_device, scale=4, cfg=cfg))
  a, b = fn(hr, params, jax.random.key(3)), fn(hr, params, jax.random.key(3))
  assert a.shape == (2, 8, 8, 3) and a.dtype == jnp.float32
  np.testing.assert_array_equal(a, b)
  np.testing.assert_allclose(np.asarray(a) * 255, np.round(np.asarray(a) * 255), atol=1e-4)  # 8-bit grid


def test_usm_matches_cpu():
  img = _image(40, 40)
  np.testing.assert_allclose(dj.usm_sharpen(img[None])[0], deg.usm_sharpen(img), atol=1e-5)


def test_pool_passes_batches_while_filling_then_swaps_keeping_every_pair():
  pool = deg.Pool(jnp.zeros((4, 1)), jnp.zeros((4, 1)), jnp.zeros((), jnp.int32))
  step = jax.jit(dj.pool_exchange)
  outs = []
  for i in range(4):
    batch = jnp.full((2, 1), float(i))
    pool, out_lr, out_hr = step(pool, batch, batch + 10, jax.random.key(i))
    np.testing.assert_array_equal(out_hr, out_lr + 10)
    outs.append(out_lr[:, 0])
  np.testing.assert_array_equal(outs[0], [0, 0])  # filling: the batch passes through
  np.testing.assert_array_equal(outs[1], [1, 1])
  assert int(pool.filled) == 4
  everything = np.concatenate(outs[2:] + [pool.lr[:, 0]])
  np.testing.assert_array_equal(np.sort(everything), [0, 0, 1, 1, 2, 2, 3, 3])
