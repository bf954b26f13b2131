"""Real-ESRGAN's degradation on the accelerator: `sample_params` dicts, stacked over a batch, applied under jit.

Shapes under jit are static, but each sample's intermediate sizes are its own (resize factors are drawn per
sample). So each stage holds its images on a fixed canvas sized for the largest draw and carries the
sample's valid (h, w): borders are read from the valid region by index (reflect-101 for blurs, edge
replication for JPEG, as libjpeg pads a partial MCU), and each resize is a MATLAB-imresize matrix built on
the device from the valid sizes, zero outside them. Everything but the noise (drawn from `key`) and JPEG
(a model of libjpeg) matches `sr_jax.data.degradations.apply_cpu` up to float rounding.

Use: `jax.jit(functools.partial(apply_device, scale=4, cfg=config.degradation))(hr, params, key)`.
"""
import functools
import math
from typing import NamedTuple

import cv2
import jax
import jax.numpy as jnp
import numpy as np

from sr_jax.data import degradations as cpu

_HIGHEST = jax.lax.Precision.HIGHEST
_BASE_WIDTH = (1.0, 2.0, 4.0)  # support of area / bilinear / bicubic, cpu.RESIZE_METHODS order


def _round(x):
  return jnp.floor(x + 0.5)


def _reflect101(idx, n):
  """Index into [0, n) mirrored without repeating the edge (OpenCV's BORDER_REFLECT_101), any overshoot."""
  period = jnp.maximum(2 * (n - 1), 1)
  m = jnp.mod(idx, period)
  return jnp.where(m < n, m, period - m)


def _depthwise(x, kernel):
  """'VALID' correlation of (H, W, C) with one (kh, kw) kernel shared by the channels."""
  c = x.shape[-1]
  k = jnp.broadcast_to(kernel[:, :, None, None], kernel.shape + (1, c)).astype(x.dtype)
  return jax.lax.conv_general_dilated(x[None], k, (1, 1), "VALID",
                                      dimension_numbers=("NHWC", "HWIO", "NHWC"),
                                      feature_group_count=c, precision=_HIGHEST)[0]


def blur(x, hw, kernel):
  """Correlate the valid (h, w) region of canvas x (Hc, Wc, C) with kernel, reflect-101 at its border."""
  r, s = kernel.shape[0] // 2, kernel.shape[1] // 2
  rows = _reflect101(jnp.arange(-r, x.shape[0] + r), hw[0])
  cols = _reflect101(jnp.arange(-s, x.shape[1] + s), hw[1])
  return _depthwise(x[rows][:, cols], kernel)


# ---------------------------------------------------------------------------------------------------------
# Resize: `sr_jax.ops.imresize.resize_matrix` (and torch's area) with sizes known only at run time.


def _kernel(method, x):
  ax = jnp.abs(x)
  cubic = ((1.5 * ax**3 - 2.5 * ax**2 + 1) * (ax <= 1)
           + (-0.5 * ax**3 + 2.5 * ax**2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2)))
  triangle = (x + 1) * ((x >= -1) & (x < 0)) + (1 - x) * ((x >= 0) & (x <= 1))
  return jnp.where(method == 1, triangle, cubic)


def resize_matrix(n_in, n_out, method, canvas_in: int, canvas_out: int, taps: int):
  """(canvas_out, canvas_in) resize weights for n_in → n_out (traced), zero outside the valid sizes.

  method 0 ('area') is torch's adaptive average pooling; 1, 2 are MATLAB's bilinear and bicubic.

  taps (static) must cover the widest kernel: ceil(support · n_in / n_out) + 2 when shrinking.
  """
  scale = n_out.astype(jnp.float32) / n_in.astype(jnp.float32)
  ks = jnp.where(scale < 1, scale, 1.0)  # antialiasing widens the kernel by 1/scale
  width = jnp.asarray(_BASE_WIDTH)[method] / ks
  x = jnp.arange(1, canvas_out + 1, dtype=jnp.float32)
  u = x / scale + 0.5 * (1 - 1 / scale)
  idx = jnp.floor(u - width / 2)[:, None] + jnp.arange(taps, dtype=jnp.float32)
  w = ks * _kernel(method, ks * (u[:, None] - idx))
  w = jnp.where(x[:, None] <= n_out, w / w.sum(axis=1, keepdims=True), 0.0)
  m = jnp.mod(idx.astype(jnp.int32) - 1, 2 * n_in)
  src = jnp.where(m < n_in, m, 2 * n_in - 1 - m)
  rows = jnp.broadcast_to(jnp.arange(canvas_out)[:, None], src.shape)
  matrix = jnp.zeros((canvas_out, canvas_in), jnp.float32).at[rows, src].add(w)
  return jnp.where(method == 0, _area_matrix(n_in, n_out, canvas_in, canvas_out), matrix)


def _area_matrix(n_in, n_out, canvas_in, canvas_out):
  """`cpu.area_matrix` on canvases (integer window ends, so exact on both paths)."""
  o, i = jnp.arange(canvas_out), jnp.arange(canvas_in)
  start, end = o * n_in // n_out, -(-(o + 1) * n_in // n_out)
  inside = (i >= start[:, None]) & (i < end[:, None]) & (o[:, None] < n_out)
  return inside / jnp.maximum(end - start, 1)[:, None].astype(jnp.float32)


def resize(x, hw_in, hw_out, method, canvas_out, taps):
  """Resize the valid hw_in region of x onto a canvas_out canvas, valid hw_out (MATLAB imresize)."""
  mh = resize_matrix(hw_in[0], hw_out[0], method, x.shape[0], canvas_out[0], taps)
  mw = resize_matrix(hw_in[1], hw_out[1], method, x.shape[1], canvas_out[1], taps)
  x = jnp.einsum("oh,hwc->owc", mh, x, precision=_HIGHEST)
  return jnp.einsum("pw,owc->opc", mw, x, precision=_HIGHEST)


# ---------------------------------------------------------------------------------------------------------
# Noise.


def add_noise(x, hw, gaussian, sigma, poisson_scale, gray, key):
  """Gaussian (σ in [0, 1] units) or Poisson noise, one channel repeated when gray; then clip to [0, 1].

  Poisson follows BasicSR: photon count = distinct 8-bit values in the (valid) image, to a power of two.
  """
  kg, kp = jax.random.split(key)
  g = sigma * jax.random.normal(kg, x.shape, x.dtype)
  src = jnp.where(gray, (x @ jnp.asarray([0.299, 0.587, 0.114], x.dtype))[..., None], x)
  src8 = jnp.clip(jnp.round(src * 255), 0, 255)
  valid = (jnp.arange(x.shape[0])[:, None] < hw[0]) & (jnp.arange(x.shape[1])[None, :] < hw[1])
  hist = jnp.zeros(256).at[src8.astype(jnp.int32)].add(
      jnp.broadcast_to(valid[..., None], x.shape).astype(jnp.float32))
  vals = jnp.exp2(jnp.ceil(jnp.log2(jnp.maximum(jnp.sum(hist > 0), 1).astype(jnp.float32))))
  src = src8 / 255
  p = poisson_scale * (jax.random.poisson(kp, src * vals, x.shape).astype(x.dtype) / vals - src)
  noise = jnp.where(gaussian, g, p)
  noise = jnp.where(gray, noise[..., :1], noise)
  return jnp.clip(x + noise, 0, 1)


# ---------------------------------------------------------------------------------------------------------
# JPEG: a model of libjpeg's baseline 4:2:0 round trip (islow DCT, fancy upsampling) in floating point.

LUMA_TABLE = np.array([
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99]).reshape(8, 8)
CHROMA_TABLE = np.full((8, 8), 99)
CHROMA_TABLE[:4, :4] = [[17, 18, 24, 47], [18, 21, 26, 66], [24, 26, 56, 99], [47, 66, 99, 99]]

_k = np.arange(8)
_DCT = np.sqrt(2 / 8) * np.cos(np.pi * (2 * _k[None, :] + 1) * _k[:, None] / 16)
_DCT[0] /= np.sqrt(2)  # orthonormal DCT-II: JPEG's ¼·C(u)·C(v) normalisation


def quant_table(base, quality):
  """libjpeg's jpeg_quality_scaling + jpeg_add_quant_table with force_baseline (integer arithmetic)."""
  q = jnp.clip(jnp.asarray(quality, jnp.int32), 1, 100)
  s = jnp.where(q < 50, 5000 // q, 200 - 2 * q)
  return jnp.clip((jnp.asarray(base, jnp.int32) * s + 50) // 100, 1, 255).astype(jnp.float32)


def _dct_roundtrip(plane, table):
  """Level shift, 8×8 DCT, quantise (round half away from zero), dequantise, IDCT, 8-bit samples."""
  h, w = plane.shape
  d = jnp.asarray(_DCT, jnp.float32)
  blocks = (plane - 128).reshape(h // 8, 8, w // 8, 8)
  coef = jnp.einsum("uk,ikjl,vl->iujv", d, blocks, d, precision=_HIGHEST) / table[None, :, None, :]
  coef = jnp.sign(coef) * jnp.floor(jnp.abs(coef) + 0.5) * table[None, :, None, :]
  out = jnp.einsum("uk,iujv,vl->ikjl", d, coef, d, precision=_HIGHEST)
  return jnp.clip(_round(out + 128), 0, 255).reshape(h, w)


def _downsample(c):
  """h2v2_downsample: 2×2 sum plus a bias alternating 1, 2 along the row, shifted right by 2."""
  s = c.reshape(c.shape[0] // 2, 2, c.shape[1] // 2, 2).sum(axis=(1, 3))
  bias = 1 + (jnp.arange(s.shape[1]) % 2)
  return jnp.floor((s + bias) / 4)


def _fancy_upsample(c, ch, cw):
  """h2v2_fancy_upsample: triangle filter (¾ nearer, ¼ farther) on each axis, edges of the valid region held."""
  i, j = jnp.arange(c.shape[0]), jnp.arange(c.shape[1])
  above, below = c[jnp.clip(i - 1, 0, ch - 1)], c[jnp.clip(i + 1, 0, ch - 1)]
  colsum = jnp.stack([3 * c + above, 3 * c + below], axis=1).reshape(2 * c.shape[0], c.shape[1])
  left, right = colsum[:, jnp.clip(j - 1, 0, cw - 1)], colsum[:, jnp.clip(j + 1, 0, cw - 1)]
  even, odd = jnp.floor((3 * colsum + left + 8) / 16), jnp.floor((3 * colsum + right + 7) / 16)
  return jnp.stack([even, odd], axis=2).reshape(colsum.shape[0], 2 * c.shape[1])


def jpeg(x, hw, quality):
  """JPEG round trip of the valid region of an RGB canvas in [0, 1] (canvas sides multiples of 16)."""
  h, w = hw[0], hw[1]
  x = x[jnp.clip(jnp.arange(x.shape[0]), 0, h - 1)][:, jnp.clip(jnp.arange(x.shape[1]), 0, w - 1)]
  r, g, b = jnp.moveaxis(_round(jnp.clip(x, 0, 1) * 255), -1, 0)
  y = _round(0.299 * r + 0.587 * g + 0.114 * b)
  cb = _downsample(_round(-0.16874 * r - 0.33126 * g + 0.5 * b + 128))
  cr = _downsample(_round(0.5 * r - 0.41869 * g - 0.08131 * b + 128))
  y = _dct_roundtrip(y, quant_table(LUMA_TABLE, quality))
  chroma = quant_table(CHROMA_TABLE, quality)
  ch, cw = (h + 1) // 2, (w + 1) // 2
  cb = _fancy_upsample(_dct_roundtrip(cb, chroma), ch, cw) - 128
  cr = _fancy_upsample(_dct_roundtrip(cr, chroma), ch, cw) - 128
  rgb = jnp.stack([y + _round(1.402 * cr), y + _round(-0.34414 * cb - 0.71414 * cr),
                   y + _round(1.772 * cb)], axis=-1)
  return jnp.clip(rgb, 0, 255) / 255


# ---------------------------------------------------------------------------------------------------------
# The whole second-order model.


class Plan(NamedTuple):
  """Static canvas sizes (multiples of 16) and resize taps of each stage for one HR size and config."""
  canvas1: tuple
  canvas2: tuple
  canvas_lr: tuple
  taps: tuple


def _up16(v):
  return -(-v // 16) * 16


def _taps(in_max, out_min):
  return math.ceil(4 * max(1.0, max(i / o for i, o in zip(in_max, out_min)))) + 3


def plan(cfg, hr_hw, scale: int) -> Plan:
  (lo1, hi1), (lo2, hi2) = cfg.first.resize_range, cfg.second.resize_range
  big1, big2 = cpu.stage_sizes(hr_hw, scale, max(1.0, hi1), max(1.0, hi2))
  small1, small2 = cpu.stage_sizes(hr_hw, scale, min(1.0, lo1), min(1.0, lo2))
  lr = (hr_hw[0] // scale, hr_hw[1] // scale)
  return Plan(tuple(map(_up16, big1)), tuple(map(_up16, big2)), tuple(map(_up16, lr)),
              (_taps(hr_hw, small1), _taps(big1, small2), _taps(big2, lr)))


def _degrade_one(x, p, key, plan: Plan):
  keys = jax.random.split(key, 2)
  hw = jnp.asarray(x.shape[:2], jnp.int32)
  canvases = (plan.canvas1, plan.canvas2)
  for i, name in enumerate((1, 2)):
    x = blur(x, hw, p[f"kernel{name}"])
    new_hw = p[f"resize{name}_hw"]
    x = resize(x, hw, new_hw, p[f"resize{name}_method"], canvases[i], plan.taps[i])
    hw = new_hw
    x = add_noise(x, hw, p[f"noise{name}_gaussian"], p[f"noise{name}_sigma"],
                  p[f"noise{name}_poisson_scale"], p[f"noise{name}_gray"], keys[i])
    if name == 1:
      x = jpeg(x, hw, p["jpeg1_quality"])
  lr_hw = p["lr_hw"]

  def to_lr(y):
    y = resize(y, hw, lr_hw, p["final_method"], plan.canvas_lr, plan.taps[2])
    return blur(y, lr_hw, p["sinc_kernel"])

  x = jnp.where(p["jpeg_first"], to_lr(jpeg(x, hw, p["jpeg2_quality"])),
                jpeg(to_lr(x), lr_hw, p["jpeg2_quality"]))
  return x


def apply_device(hr, params: dict, key, *, scale: int, cfg=None):
  """Degrade an (N, H, W, 3) batch (uint8, or float in [0, 1]) with stacked `sample_params` dicts.

  Returns float32 LR (N, H/scale, W/scale, 3) in [0, 1] on the 8-bit grid, as Real-ESRGAN's lq.
  """
  cfg = cpu.realesrgan_defaults() if cfg is None else cfg
  x = hr.astype(jnp.float32) / 255 if hr.dtype == jnp.uint8 else hr.astype(jnp.float32)
  n, h, w = x.shape[:3]
  fn = functools.partial(_degrade_one, plan=plan(cfg, (h, w), scale))
  lr = jax.vmap(fn)(x, params, jax.random.split(key, n))[:, :h // scale, :w // scale]
  return _round(jnp.clip(lr, 0, 1) * 255) / 255


# ---------------------------------------------------------------------------------------------------------
# USM sharpening and the training-pair pool, batched.


def usm_sharpen(x, weight=0.5, radius=50, threshold=10):
  """`cpu.usm_sharpen` for an (N, H, W, C) batch in [0, 1] (cv2's Gaussian for that size, reflect-101)."""
  radius += 1 - radius % 2
  k = jnp.asarray(cv2.getGaussianKernel(radius, 0)[:, 0], jnp.float32)
  r = radius // 2

  def gauss(img):
    rows = _reflect101(jnp.arange(-r, img.shape[0] + r), img.shape[0])
    cols = _reflect101(jnp.arange(-r, img.shape[1] + r), img.shape[1])
    img = _depthwise(img[rows], k[:, None])
    return _depthwise(img[:, cols], k[None, :])

  def one(img):
    residual = img - gauss(img)
    soft = gauss((jnp.abs(residual) * 255 > threshold).astype(img.dtype))
    return soft * jnp.clip(img + weight * residual, 0, 1) + (1 - soft) * img

  return jax.vmap(one)(x.astype(jnp.float32))


def pool_exchange(pool: cpu.Pool, batch_lr, batch_hr, key):
  """JAX twin of `cpu.pool_exchange` (jit-able; donate the pool): (new pool, out_lr, out_hr)."""
  b, size = batch_lr.shape[0], pool.lr.shape[0]
  batch_lr, batch_hr = batch_lr.astype(pool.lr.dtype), batch_hr.astype(pool.hr.dtype)

  def fill(_):
    lr = jax.lax.dynamic_update_slice_in_dim(pool.lr, batch_lr, pool.filled, 0)
    hr = jax.lax.dynamic_update_slice_in_dim(pool.hr, batch_hr, pool.filled, 0)
    return cpu.Pool(lr, hr, (pool.filled + b).astype(jnp.int32)), batch_lr, batch_hr

  def swap(_):
    perm = jax.random.permutation(key, size)
    lr, hr = pool.lr[perm], pool.hr[perm]
    return (cpu.Pool(lr.at[:b].set(batch_lr), hr.at[:b].set(batch_hr), jnp.asarray(pool.filled, jnp.int32)),
            lr[:b], hr[:b])

  return jax.lax.cond(pool.filled < size, fill, swap, None)
