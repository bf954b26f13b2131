"""Real-ESRGAN's degradation on the accelerator: `sample_params` dicts, stacked over a batch, applied under jit.

Shapes under jit are static, but each sample's intermediate sizes are its own (resize factors are drawn per
sample). So each stage holds its images on a fixed canvas sized for the largest draw and carries the
sample's valid (h, w): borders are read from the valid region by index (reflect-101 for blurs), DiffJPEG
sees zeros outside it (its zero padding; the canvases are multiples of 16), and each resize is torch's
`F.interpolate` as a matrix built on the device from the valid sizes, zero outside them. Everything but the
noise draws (from `key`) is the math of `sr_jax.data.degradations.apply_cpu`, up to float32 rounding.

Use: `jax.jit(functools.partial(apply_device, scale=4, cfg=config.degradation))(hr, params, key)`.
"""
import functools
from typing import Callable, NamedTuple

import cv2
import jax
import jax.numpy as jnp
import numpy as np

from sr_jax.data import degradations as cpu

_HIGHEST = jax.lax.Precision.HIGHEST


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
# Resize: `cpu.torch_resize_matrix` (torch's F.interpolate) with sizes known only at run time.


def resize_matrix(n_in, n_out, method, canvas_in: int, canvas_out: int, ratio=None):
  """(canvas_out, canvas_in) weights of torch's interpolate for n_in → n_out (traced), zero outside
  the valid sizes. method: 0 'area' (adaptive average pooling), 1 'bilinear', 2 'bicubic'
  (a = −0.75), no antialiasing, align_corners=False; ratio: 1/scale_factor when interpolate got one,
  else n_in/n_out (both in float32, as ATen computes them)."""
  r = (n_in.astype(jnp.float32) / n_out.astype(jnp.float32) if ratio is None
       else jnp.asarray(ratio, jnp.float32))
  o = jnp.arange(canvas_out)
  src = r * (o.astype(jnp.float32) + 0.5) - 0.5
  # bilinear: the source clamped to >= 0, the upper tap held at the last pixel
  s = jnp.maximum(src, 0)
  i0 = jnp.minimum(jnp.floor(s).astype(jnp.int32), n_in - 1)
  lam = jnp.clip(s - i0, 0, 1)
  lin_idx = jnp.stack([i0, jnp.minimum(i0 + 1, n_in - 1), i0, i0], 1)
  lin_w = jnp.stack([1 - lam, lam, jnp.zeros_like(lam), jnp.zeros_like(lam)], 1)
  # bicubic: taps floor(src) − 1 … + 2, indices clamped to the image
  c0 = jnp.floor(src).astype(jnp.int32)
  cub_idx = jnp.clip(c0[:, None] - 1 + jnp.arange(4), 0, n_in - 1)
  cub_w = jnp.stack(cpu.cubic_weights(src - c0), 1)
  idx = jnp.where(method == 1, lin_idx, cub_idx)
  w = jnp.where((o < n_out)[:, None], jnp.where(method == 1, lin_w, cub_w), 0.0)
  rows = jnp.broadcast_to(o[:, None], idx.shape)
  matrix = jnp.zeros((canvas_out, canvas_in), jnp.float32).at[rows, idx].add(w)
  return jnp.where(method == 0, _area_matrix(n_in, n_out, canvas_in, canvas_out), matrix)


def _area_matrix(n_in, n_out, canvas_in, canvas_out):
  """`cpu.area_matrix` on canvases (integer window ends, so exact on both paths)."""
  o, i = jnp.arange(canvas_out), jnp.arange(canvas_in)
  start, end = o * n_in // n_out, -(-(o + 1) * n_in // n_out)
  inside = (i >= start[:, None]) & (i < end[:, None]) & (o[:, None] < n_out)
  return inside / jnp.maximum(end - start, 1)[:, None].astype(jnp.float32)


def resize(x, hw_in, hw_out, method, canvas_out, ratio=None):
  """Resize the valid hw_in region of x onto a canvas_out canvas, valid hw_out (torch's interpolate)."""
  mh = resize_matrix(hw_in[0], hw_out[0], method, x.shape[0], canvas_out[0], ratio)
  mw = resize_matrix(hw_in[1], hw_out[1], method, x.shape[1], canvas_out[1], ratio)
  x = jnp.einsum("oh,hwc->owc", mh, x, precision=_HIGHEST)
  return jnp.einsum("pw,owc->opc", mw, x, precision=_HIGHEST)


# ---------------------------------------------------------------------------------------------------------
# Noise.


class Draws(NamedTuple):
  """Where the noise comes from: normal(key, shape) → N(0, 1) samples, poisson(key, lam) → counts.
  The default is jax.random; tests pass fixed draws to compare with the host and with torch."""
  normal: Callable
  poisson: Callable


RANDOM = Draws(lambda key, shape: jax.random.normal(key, shape, jnp.float32),
               lambda key, lam: jax.random.poisson(key, lam, lam.shape).astype(jnp.float32))


def add_noise(x, hw, gaussian, sigma, poisson_scale, gray, key, draws: Draws = RANDOM):
  """BasicSR's Gaussian (σ in [0, 1] units) or Poisson noise, one plane for all channels when gray;
  then clip to [0, 1]. Poisson: photons per unit = distinct 8-bit values of the (valid) rounded image
  (its torchvision luma when gray), to a power of two; noise relative to the rounded image."""
  kg, kp = jax.random.split(key)
  g = sigma * draws.normal(kg, x.shape)
  luma = cpu.LUMA[0] * x[..., 0] + cpu.LUMA[1] * x[..., 1] + cpu.LUMA[2] * x[..., 2]  # no TF32 dot
  src = jnp.where(gray, luma[..., None], x)
  src8 = jnp.clip(jnp.round(src * 255), 0, 255)
  valid = (jnp.arange(x.shape[0])[:, None] < hw[0]) & (jnp.arange(x.shape[1])[None, :] < hw[1])
  hist = jnp.zeros(256).at[src8.astype(jnp.int32)].add(
      jnp.broadcast_to(valid[..., None], x.shape).astype(jnp.float32))
  vals = jnp.exp2(jnp.ceil(jnp.log2(jnp.maximum(jnp.sum(hist > 0), 1).astype(jnp.float32))))
  src = src8 / 255
  p = poisson_scale * (draws.poisson(kp, src * vals) / vals - src)
  noise = jnp.where(gaussian, g, p)
  noise = jnp.where(gray, noise[..., :1], noise)
  return jnp.clip(x + noise, 0, 1)


# ---------------------------------------------------------------------------------------------------------
# JPEG: a model of libjpeg's baseline 4:2:0 round trip (islow DCT, fancy upsampling) in floating point
# (config.degradation.jpeg='libjpeg' on the device; edges replicated as libjpeg pads a partial MCU).

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
# DiffJPEG: `cpu.diffjpeg` (BasicSR's, differentiable=False) on a canvas.


def _diffjpeg_plane(plane, table):
  """Level shift, 8×8 DCT, quantise (round half to even), dequantise, IDCT."""
  h, w = plane.shape
  d = jnp.asarray(cpu.DCT8, jnp.float32)
  blocks = (plane - 128).reshape(h // 8, 8, w // 8, 8)
  coef = jnp.einsum("uk,ikjl,vl->iujv", d, blocks, d, precision=_HIGHEST) / table[None, :, None, :]
  coef = jnp.round(coef) * table[None, :, None, :]
  return (jnp.einsum("uk,iujv,vl->ikjl", d, coef, d, precision=_HIGHEST) + 128).reshape(h, w)


def diffjpeg_factor(quality):
  """`cpu.diffjpeg_factor` traced: 50/q below quality 50, 2 − q/50 from 50 on (float32)."""
  q = jnp.asarray(quality, jnp.float32)
  return jnp.where(q < 50, 5000 / q, 200 - q * 2) / 100


def diffjpeg(x, hw, quality):
  """DiffJPEG of the valid (h, w) region of an RGB canvas (sides multiples of 16), float quality.

  Zero outside the valid region is DiffJPEG's zero padding: the blocks it covers are the padded
  image's, and whole-zero blocks beyond change nothing inside. Returns float32 in [0, 1] (not 8-bit).
  """
  valid = (jnp.arange(x.shape[0])[:, None] < hw[0]) & (jnp.arange(x.shape[1])[None, :] < hw[1])
  x = jnp.where(valid[..., None], jnp.clip(x, 0, 1), 0) * 255
  ycc = jnp.einsum("hwc,kc->khw", x, jnp.asarray(cpu.RGB_TO_YCBCR), precision=_HIGHEST)
  factor = diffjpeg_factor(quality)
  y = _diffjpeg_plane(ycc[0], jnp.asarray(cpu.DIFFJPEG_LUMA) * factor)
  chroma = []
  for c in ycc[1:] + 128:
    c = c.reshape(c.shape[0] // 2, 2, c.shape[1] // 2, 2).mean(axis=(1, 3))
    c = _diffjpeg_plane(c, jnp.asarray(cpu.DIFFJPEG_CHROMA) * factor)
    chroma.append(jnp.repeat(jnp.repeat(c, 2, axis=0), 2, axis=1) - 128)
  rgb = jnp.einsum("khw,ck->hwc", jnp.stack([y, *chroma]), jnp.asarray(cpu.YCBCR_TO_RGB),
                   precision=_HIGHEST)
  return jnp.clip(rgb, 0, 255) / 255


def libjpeg(x, hw, quality):
  """The libjpeg model (`jpeg`) at the quality rounded to an integer, as `cpu.jpeg` takes it."""
  return jpeg(x, hw, jnp.round(quality).astype(jnp.int32))


JPEG = {"diffjpeg": diffjpeg, "libjpeg": libjpeg}

# ---------------------------------------------------------------------------------------------------------
# The whole second-order model.


class Plan(NamedTuple):
  """Static canvas sizes (multiples of 16) of each stage for one degraded-GT size and config."""
  canvas1: tuple
  canvas2: tuple
  canvas_lr: tuple


def _up16(v):
  return -(-v // 16) * 16


def plan(cfg, hr_hw, scale: int) -> Plan:
  (_, hi1), (_, hi2) = cfg.first.resize_range, cfg.second.resize_range
  big1, big2 = cpu.stage_sizes(hr_hw, scale, max(1.0, hi1), max(1.0, hi2))
  lr = (hr_hw[0] // scale, hr_hw[1] // scale)
  return Plan(tuple(map(_up16, big1)), tuple(map(_up16, big2)), tuple(map(_up16, lr)))


def _degrade_one(x, p, key, plan: Plan, compress, draws: Draws):
  keys = jax.random.split(key, 2)
  hw = jnp.asarray(x.shape[:2], jnp.int32)
  x = blur(x, hw, p["kernel1"])
  x = resize(x, hw, p["resize1_hw"], p["resize1_method"], plan.canvas1, ratio=p["resize1_ratio"])
  hw = p["resize1_hw"]
  x = add_noise(x, hw, p["noise1_gaussian"], p["noise1_sigma"], p["noise1_poisson_scale"],
                p["noise1_gray"], keys[0], draws)
  x = compress(x, hw, p["jpeg1_quality"])
  x = blur(x, hw, p["kernel2"])
  x = resize(x, hw, p["resize2_hw"], p["resize2_method"], plan.canvas2)
  hw = p["resize2_hw"]
  x = add_noise(x, hw, p["noise2_gaussian"], p["noise2_sigma"], p["noise2_poisson_scale"],
                p["noise2_gray"], keys[1], draws)
  lr_hw = p["lr_hw"]

  def to_lr(y):
    y = resize(y, hw, lr_hw, p["final_method"], plan.canvas_lr)
    return blur(y, lr_hw, p["sinc_kernel"])

  return jnp.where(p["jpeg_first"], to_lr(compress(x, hw, p["jpeg2_quality"])),
                   compress(to_lr(x), lr_hw, p["jpeg2_quality"]))


def apply_device(hr, params: dict, key, *, scale: int, cfg=None, draws: Draws = RANDOM):
  """Degrade an (N, H, W, 3) batch (uint8, or float in [0, 1]) with stacked `sample_params` dicts.

  Returns float32 LR (N, H/scale, W/scale, 3) in [0, 1] on the 8-bit grid (round half to even), as
  Real-ESRGAN's lq. JPEG is `cfg.jpeg`'s; extra keys in params (the crop position) are ignored.
  """
  cfg = cpu.realesrgan_defaults() if cfg is None else cfg
  x = hr.astype(jnp.float32) / 255 if hr.dtype == jnp.uint8 else hr.astype(jnp.float32)
  n, h, w = x.shape[:3]
  fn = functools.partial(_degrade_one, plan=plan(cfg, (h, w), scale), compress=JPEG[cfg.jpeg],
                         draws=draws)
  lr = jax.vmap(fn)(x, params, jax.random.split(key, n))[:, :h // scale, :w // scale]
  return jnp.round(jnp.clip(lr, 0, 1) * 255) / 255


def paired_crop(lr, gt, crop, lr_patch: int, scale: int):
  """`cpu.paired_crop` of a batch: each LR at its crop (top, left), each GT at scale × that."""
  def one(low, high, c):
    low = jax.lax.dynamic_slice(low, (c[0], c[1], 0), (lr_patch, lr_patch, low.shape[-1]))
    high = jax.lax.dynamic_slice(high, (c[0] * scale, c[1] * scale, 0),
                                 (lr_patch * scale, lr_patch * scale, high.shape[-1]))
    return low, high
  return jax.vmap(one)(lr, gt, jnp.asarray(crop, jnp.int32))


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
  """Real-ESRGAN's pool (jit-able; donate the pool): (new pool, out_lr, out_hr). Filling: store
  the batch and pass it through; full: shuffle the pool, hand out its first len(batch) pairs and
  put the batch in their place."""
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
