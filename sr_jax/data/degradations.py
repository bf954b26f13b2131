"""Degradations that make the LR input from an HR image: classical BI/BD/DN and Real-ESRGAN's high-order model.

Real-ESRGAN (Wang et al., 2021) is split in two so the host and the accelerator apply the same draw:
`sample_params` makes every random choice of one sample (blur kernels included) into a dict of fixed-shape
NumPy values, which grain can batch; `apply_cpu` applies it with NumPy/OpenCV/libjpeg, and
`sr_jax.ops.degradations_jax.apply_device` applies a stacked batch of them under jit.

Where this follows Real-ESRGAN's training code and where it does not:
- every choice is per sample (Real-ESRGAN draws the resize factor, resize mode and noise type once per
  batch and relies on the training-pair pool to mix batches);
- 'bilinear' and 'bicubic' resizes are MATLAB `imresize` (antialiased when shrinking), not torch
  `interpolate`; 'area' is torch's (adaptive average pooling);
- JPEG quality is an integer, as libjpeg takes it (Real-ESRGAN's DiffJPEG takes a float);
- Real-ESRGAN degrades the USM-sharpened GT (`degrade_sharpened`): the caller passes `usm_sharpen(hr)`.
"""
import math
from typing import NamedTuple

import cv2
import ml_collections
import numpy as np
from scipy import special

from sr_jax.ops.imresize import apply_separable, imresize, resize_matrix, to_uint8

# The host path runs in parallel grain workers and read threads; OpenCV's own thread pool in each
# of them would oversubscribe the cores.
cv2.setNumThreads(1)

# ---------------------------------------------------------------------------------------------------------
# Classical degradations (RDN's BI/BD/DN benchmark MATLAB scripts), uint8 in, uint8 out.


def _mod_crop(hr: np.ndarray, scale: int) -> np.ndarray:
  return hr[:hr.shape[0] // scale * scale, :hr.shape[1] // scale * scale]


def fspecial_gaussian(size: int, sigma: float) -> np.ndarray:
  """MATLAB `fspecial('gaussian', size, sigma)`."""
  r = np.arange(size) - (size - 1) / 2
  k = np.exp(-(r[:, None]**2 + r[None, :]**2) / (2 * sigma**2))
  k[k < np.finfo(np.float64).eps * k.max()] = 0
  return k / k.sum()


def _filter_uint8(img: np.ndarray, kernel: np.ndarray, border: int) -> np.ndarray:
  out = cv2.filter2D(img.astype(np.float64), -1, kernel, borderType=border)
  return out.reshape(img.shape)


def bi(hr: np.ndarray, scale: int, rng: np.random.Generator | None = None) -> np.ndarray:
  """BI: MATLAB bicubic ×1/scale."""
  del rng
  return to_uint8(imresize(_mod_crop(hr, scale), 1 / scale))


def bd(hr: np.ndarray, scale: int, rng: np.random.Generator | None = None) -> np.ndarray:
  """BD: 7×7 Gaussian blur σ=1.6 (`imfilter(…, 'replicate')`, 8-bit result), then bicubic ×1/scale."""
  del rng
  blurred = to_uint8(_filter_uint8(_mod_crop(hr, scale), fspecial_gaussian(7, 1.6),
                                   cv2.BORDER_REPLICATE))
  return to_uint8(imresize(blurred, 1 / scale))


def dn(hr: np.ndarray, scale: int, rng: np.random.Generator | None = None) -> np.ndarray:
  """DN: bicubic ×1/scale to 8 bits, then Gaussian noise σ=30 (0..255); rng=None → fixed seed 0."""
  rng = np.random.default_rng(0) if rng is None else rng
  lr = to_uint8(imresize(_mod_crop(hr, scale), 1 / scale)).astype(np.float64)
  return to_uint8(lr + 30.0 * rng.standard_normal(lr.shape))


CLASSICAL = {"bi": bi, "bd": bd, "dn": dn}

# ---------------------------------------------------------------------------------------------------------
# Real-ESRGAN parameters.

KERNEL_TYPES = ("iso", "aniso", "generalized_iso", "generalized_aniso", "plateau_iso", "plateau_aniso")
RESIZE_METHODS = ("area", "bilinear", "bicubic")  # params store the index into this tuple
KERNEL_SIZE = 21  # every kernel is zero-padded to this size so that params stack into a batch


def _stage(blur_prob, blur_sigma, resize_prob, resize_range, noise_range, poisson_scale_range):
  return ml_collections.ConfigDict({
      "blur_prob": blur_prob,
      "kernel_size_range": (7, 21),  # odd sizes only
      "kernel_prob": (0.45, 0.25, 0.12, 0.03, 0.12, 0.03),  # in KERNEL_TYPES order
      "sinc_prob": 0.1,
      "blur_sigma": blur_sigma,
      "betag_range": (0.5, 4.0),
      "betap_range": (1.0, 2.0),
      "resize_prob": resize_prob,  # up, down, keep
      "resize_range": resize_range,
      "gaussian_noise_prob": 0.5,  # else Poisson
      "noise_range": noise_range,  # Gaussian σ on the 0..255 scale
      "poisson_scale_range": poisson_scale_range,
      "gray_noise_prob": 0.4,
      "jpeg_range": (30, 95),
  })


def realesrgan_defaults() -> ml_collections.ConfigDict:
  """Real-ESRGAN's `train_realesrgan_x4plus.yml` degradation settings; embed as `config.degradation`."""
  return ml_collections.ConfigDict({
      "first": _stage(1.0, (0.2, 3.0), (0.2, 0.7, 0.1), (0.15, 1.5), (1.0, 30.0), (0.05, 3.0)),
      "second": _stage(0.8, (0.2, 1.5), (0.3, 0.4, 0.3), (0.3, 1.2), (1.0, 25.0), (0.05, 2.5)),
      "final_sinc_prob": 0.8,
      "jpeg_first_prob": 0.5,  # order of [resize to LR + sinc] and [JPEG] at the end
      "degrade_sharpened": True,  # Real-ESRGAN blurs the USM-sharpened GT, not the GT itself
      "usm_target": True,  # pixel/perceptual losses compare with the USM-sharpened GT; the GAN with the GT
      "usm": ml_collections.ConfigDict({"weight": 0.5, "radius": 50, "threshold": 10}),
      "pool_size": 180,  # training-pair pool; a multiple of the per-step batch
  })


# ---------------------------------------------------------------------------------------------------------
# Blur kernels (BasicSR's definitions), on a size×size grid centred on the middle tap.


def _quadratic_form(size, sigma_x, sigma_y, theta):
  """xᵀΣ⁻¹x with Σ = R(θ)·diag(σx², σy²)·R(θ)ᵀ; x runs along columns, y along rows."""
  r = np.arange(size) - (size - 1) / 2
  x, y = np.meshgrid(r, r)
  c, s = math.cos(theta), math.sin(theta)
  return ((c * x + s * y) / sigma_x)**2 + ((-s * x + c * y) / sigma_y)**2


def _normalised(k):
  return k / k.sum()


def gaussian_kernel(size, sigma_x, sigma_y, theta):
  return _normalised(np.exp(-0.5 * _quadratic_form(size, sigma_x, sigma_y, theta)))


def generalized_gaussian_kernel(size, sigma_x, sigma_y, theta, beta):
  return _normalised(np.exp(-0.5 * _quadratic_form(size, sigma_x, sigma_y, theta)**beta))


def plateau_kernel(size, sigma_x, sigma_y, theta, beta):
  return _normalised(1 / (_quadratic_form(size, sigma_x, sigma_y, theta)**beta + 1))


def sinc_kernel(size, cutoff):
  """Circular low-pass: ω_c·J1(ω_c·r)/(2πr), ω_c²/(4π) at r = 0."""
  r = np.arange(size) - (size - 1) / 2
  rad = np.hypot(r[:, None], r[None, :])
  safe = np.where(rad == 0, 1.0, rad)
  k = np.where(rad == 0, cutoff**2 / (4 * np.pi), cutoff * special.j1(cutoff * safe) / (2 * np.pi * safe))
  return _normalised(k)


def pulse_kernel(size=KERNEL_SIZE):
  k = np.zeros((size, size))
  k[size // 2, size // 2] = 1
  return k


def _pad_kernel(k):
  p = (KERNEL_SIZE - k.shape[0]) // 2
  return np.pad(k, p).astype(np.float32)


def _beta(rng, lo, hi):
  """BasicSR's split draw: β < 1 and β > 1 are equally likely (so β = 1 exactly when lo = 1, half the time)."""
  return rng.uniform(lo, 1) if rng.random() < 0.5 else rng.uniform(1, hi)


def random_kernel(rng: np.random.Generator, stage) -> np.ndarray:
  """One Real-ESRGAN blur kernel (sinc with sinc_prob, else a mixed Gaussian-family kernel), 21×21."""
  lo, hi = stage.kernel_size_range
  size = int(rng.choice(np.arange(lo, hi + 1, 2)))
  if rng.random() < stage.sinc_prob:
    cutoff = rng.uniform(np.pi / 3 if size < 13 else np.pi / 5, np.pi)
    return _pad_kernel(sinc_kernel(size, cutoff))
  kind = KERNEL_TYPES[rng.choice(len(KERNEL_TYPES), p=np.asarray(stage.kernel_prob))]
  sigma_x = rng.uniform(*stage.blur_sigma)
  if kind.split("_")[-1] == "iso":
    sigma_y, theta = sigma_x, 0.0
  else:
    sigma_y, theta = rng.uniform(*stage.blur_sigma), rng.uniform(-np.pi, np.pi)
  if kind.startswith("generalized"):
    k = generalized_gaussian_kernel(size, sigma_x, sigma_y, theta, _beta(rng, *stage.betag_range))
  elif kind.startswith("plateau"):
    k = plateau_kernel(size, sigma_x, sigma_y, theta, _beta(rng, *stage.betap_range))
  else:
    k = gaussian_kernel(size, sigma_x, sigma_y, theta)
  return _pad_kernel(k)


def _final_sinc(rng, prob):
  if rng.random() >= prob:
    return pulse_kernel().astype(np.float32)
  size = int(rng.choice(np.arange(7, KERNEL_SIZE + 1, 2)))
  return _pad_kernel(sinc_kernel(size, rng.uniform(np.pi / 3, np.pi)))


def _resize_factor(rng, stage):
  kind = rng.choice(3, p=np.asarray(stage.resize_prob))
  lo, hi = stage.resize_range
  return (rng.uniform(1, hi), rng.uniform(lo, 1), 1.0)[kind]


def _sample_stage(rng, stage, name, out_hw):
  blur = rng.random() < stage.blur_prob
  kernel = random_kernel(rng, stage)
  jpeg_lo, jpeg_hi = stage.jpeg_range
  return {
      f"kernel{name}": kernel if blur else pulse_kernel().astype(np.float32),
      f"resize{name}_hw": np.asarray(out_hw, np.int32),
      f"resize{name}_method": np.int32(rng.integers(len(RESIZE_METHODS))),
      f"noise{name}_gaussian": np.bool_(rng.random() < stage.gaussian_noise_prob),
      f"noise{name}_sigma": np.float32(rng.uniform(*stage.noise_range) / 255),
      f"noise{name}_poisson_scale": np.float32(rng.uniform(*stage.poisson_scale_range)),
      f"noise{name}_gray": np.bool_(rng.random() < stage.gray_noise_prob),
      f"jpeg{name}_quality": np.int32(rng.integers(jpeg_lo, jpeg_hi + 1)),
  }


def stage_sizes(hr_hw, scale, s1, s2):
  """Sizes after the first resize (torch's floor(x·s)) and the second (int(x/scale·s))."""
  h, w = hr_hw
  first = (max(1, int(h * s1)), max(1, int(w * s1)))
  second = (max(1, int(h / scale * s2)), max(1, int(w / scale * s2)))
  return first, second


def sample_params(rng: np.random.Generator, cfg, hr_shape, scale: int) -> dict:
  """Every random choice of one Real-ESRGAN degradation; fixed shapes and dtypes, so dicts batch."""
  s1 = _resize_factor(rng, cfg.first)
  s2 = _resize_factor(rng, cfg.second)
  hw1, hw2 = stage_sizes(hr_shape[:2], scale, s1, s2)
  params = {**_sample_stage(rng, cfg.first, 1, hw1), **_sample_stage(rng, cfg.second, 2, hw2)}
  params["lr_hw"] = np.asarray((hr_shape[0] // scale, hr_shape[1] // scale), np.int32)
  params["sinc_kernel"] = _final_sinc(rng, cfg.final_sinc_prob)
  params["final_method"] = np.int32(rng.integers(len(RESIZE_METHODS)))
  params["jpeg_first"] = np.bool_(rng.random() < cfg.jpeg_first_prob)
  params["noise_seed"] = np.uint32(rng.integers(2**32))  # the CPU path's noise; the device path takes a key
  return params


# ---------------------------------------------------------------------------------------------------------
# The operations, on float32 (H, W, C) images in [0, 1].


def trim_kernel(kernel: np.ndarray) -> np.ndarray:
  """The kernel without its all-zero border rings (the padding to KERNEL_SIZE): the same
  correlation, but OpenCV filters kernels under 11×11 directly (≈ 0.5 ms for a 256² RGB patch)
  instead of by DFT (≈ 6 ms), and the pulse becomes 1×1."""
  k = np.asarray(kernel, np.float32)
  while len(k) > 1 and not (k[0].any() or k[-1].any() or k[:, 0].any() or k[:, -1].any()):
    k = k[1:-1, 1:-1]
  return k


def blur(img: np.ndarray, kernel: np.ndarray) -> np.ndarray:
  """Correlation with reflect-101 borders (cv2.filter2D's default, torch's 'reflect' pad)."""
  out = cv2.filter2D(np.ascontiguousarray(img, np.float32), -1, trim_kernel(kernel),
                     borderType=cv2.BORDER_REFLECT_101)
  return out.reshape(img.shape)


def area_matrix(n_in: int, n_out: int) -> np.ndarray:
  """torch's 'area' (adaptive average pooling): output o averages inputs ⌊o·n/m⌋ … ⌈(o+1)·n/m⌉ − 1.

  Integer window ends, so the host and the device agree exactly (MATLAB's box kernel has ties that
  float32 and float64 break differently).
  """
  o = np.arange(n_out)
  start, end = o * n_in // n_out, -(-(o + 1) * n_in // n_out)
  i = np.arange(n_in)
  return ((i >= start[:, None]) & (i < end[:, None])) / (end - start)[:, None]


def resize(img: np.ndarray, out_hw, method: str) -> np.ndarray:
  """'area' as torch's adaptive pooling; 'bilinear' and 'bicubic' as MATLAB imresize (antialiased)."""
  (h, w), (oh, ow) = img.shape[:2], (int(out_hw[0]), int(out_hw[1]))
  if method == "area":
    mh, mw = area_matrix(h, oh), area_matrix(w, ow)
  else:
    mh, mw = resize_matrix(h, oh, oh / h, method), resize_matrix(w, ow, ow / w, method)
  return apply_separable(img, mh, mw).astype(np.float32)


def gray(img: np.ndarray) -> np.ndarray:
  """BT.601 luma; einsum's own loop, not a BLAS call (see imresize.apply_separable)."""
  return np.einsum("...c,c->...", img, np.asarray([0.299, 0.587, 0.114], img.dtype))


def poisson_levels(img8: np.ndarray) -> int:
  """BasicSR's photon scale: the distinct 8-bit values present, rounded up to a power of two."""
  count = np.count_nonzero(np.bincount(img8.ravel().astype(np.int64), minlength=256))
  return 2 ** math.ceil(math.log2(max(count, 1)))


def add_gaussian_noise(img, sigma, gray_noise, rng):
  shape = img.shape[:2] + (1,) if gray_noise else img.shape
  return np.clip(img + sigma * rng.standard_normal(shape, np.float32), 0, 1)


def add_poisson_noise(img, scale, gray_noise, rng):
  src = gray(img)[..., None] if gray_noise else img
  src8 = np.clip(np.round(src * 255), 0, 255)
  vals = poisson_levels(src8)
  src = src8 / 255
  noise = rng.poisson(src * vals) / vals - src
  return np.clip(img + scale * noise, 0, 1).astype(np.float32)


def jpeg(img: np.ndarray, quality: int) -> np.ndarray:
  """libjpeg (through OpenCV) round trip of an RGB image in [0, 1]; 8 bits in, 8 bits out."""
  bgr = to_uint8(np.clip(img, 0, 1) * 255)[..., ::-1]
  ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(bgr), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
  if not ok:
    raise RuntimeError("cv2.imencode failed")
  return cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1].astype(np.float32) / 255


def _noise(img, params, name, rng):
  if params[f"noise{name}_gaussian"]:
    return add_gaussian_noise(img, params[f"noise{name}_sigma"], params[f"noise{name}_gray"], rng)
  return add_poisson_noise(img, params[f"noise{name}_poisson_scale"], params[f"noise{name}_gray"], rng)


def apply_cpu(hr: np.ndarray, params: dict) -> np.ndarray:
  """Real-ESRGAN's second-order degradation of one (H, W, 3) image (uint8, or float in [0, 1]) → uint8 LR."""
  x = hr.astype(np.float32) / 255 if hr.dtype == np.uint8 else hr.astype(np.float32)
  lr_hw = params["lr_hw"]
  rng = np.random.default_rng(int(params["noise_seed"]))
  for name in (1, 2):
    x = blur(x, params[f"kernel{name}"])
    x = resize(x, params[f"resize{name}_hw"], RESIZE_METHODS[params[f"resize{name}_method"]])
    x = _noise(x, params, name, rng)
    if name == 1:
      x = jpeg(x, params["jpeg1_quality"])
  final = RESIZE_METHODS[params["final_method"]]
  if params["jpeg_first"]:
    x = blur(resize(jpeg(x, params["jpeg2_quality"]), lr_hw, final), params["sinc_kernel"])
  else:
    x = jpeg(blur(resize(x, lr_hw, final), params["sinc_kernel"]), params["jpeg2_quality"])
  return to_uint8(np.clip(x, 0, 1) * 255)


def degrade(hr: np.ndarray, cfg, scale: int, rng: np.random.Generator) -> np.ndarray:
  """sample_params + apply_cpu: one random Real-ESRGAN LR for a uint8 HR image."""
  return apply_cpu(hr, sample_params(rng, cfg, hr.shape, scale))


# ---------------------------------------------------------------------------------------------------------
# USM sharpening of the GT (Real-ESRGAN's l1/perceptual targets) and the training-pair pool.


def usm_sharpen(img: np.ndarray, weight=0.5, radius=50, threshold=10) -> np.ndarray:
  """Unsharp mask of an image in [0, 1], applied only where the residual exceeds threshold/255 (softened)."""
  radius += 1 - radius % 2
  img = np.asarray(img, np.float32)
  blurred = cv2.GaussianBlur(img, (radius, radius), 0).reshape(img.shape)
  residual = img - blurred
  mask = (np.abs(residual) * 255 > threshold).astype(np.float32)
  soft = cv2.GaussianBlur(mask, (radius, radius), 0).reshape(img.shape)
  sharp = np.clip(img + weight * residual, 0, 1)
  return soft * sharp + (1 - soft) * img


class Pool(NamedTuple):
  """Real-ESRGAN's training-pair queue: `filled` counts the slots written so far (a pytree under jit)."""
  lr: np.ndarray
  hr: np.ndarray
  filled: np.ndarray


def init_pool(size: int, lr_shape, hr_shape, dtype=np.float32) -> Pool:
  return Pool(np.zeros((size, *lr_shape), dtype), np.zeros((size, *hr_shape), dtype), np.int32(0))


def pool_exchange(pool: Pool, batch_lr, batch_hr, rng: np.random.Generator):
  """NumPy: (new pool, out_lr, out_hr). Filling: store the batch and pass it through; full: shuffle the
  pool, hand out its first len(batch) pairs and put the batch in their place. The JAX twin with
  jax.random is `sr_jax.ops.degradations_jax.pool_exchange`."""
  b = len(batch_lr)
  if pool.filled < len(pool.lr):
    lr, hr = pool.lr.copy(), pool.hr.copy()
    lr[pool.filled:pool.filled + b], hr[pool.filled:pool.filled + b] = batch_lr, batch_hr
    return Pool(lr, hr, np.int32(pool.filled + b)), batch_lr, batch_hr
  perm = rng.permutation(len(pool.lr))
  lr, hr = pool.lr[perm], pool.hr[perm]
  out_lr, out_hr = lr[:b].copy(), hr[:b].copy()
  lr[:b], hr[:b] = batch_lr, batch_hr
  return Pool(lr, hr, pool.filled), out_lr, out_hr
