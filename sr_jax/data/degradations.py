"""Degradations that make the LR input from an HR image: classical BI/BD/DN and Real-ESRGAN's high-order model.

Real-ESRGAN (Wang et al., 2021) is split in two so the host and the accelerator apply the same draw:
`sample_params` makes every random choice of one sample (blur kernels included) into a dict of fixed-shape
NumPy values, which grain can batch; `apply_cpu` applies it with NumPy/OpenCV, and
`sr_jax.ops.degradations_jax.apply_device` applies a stacked batch of them under jit.

Both follow Real-ESRGAN's training code (`realesrgan_model.py`, `realesrgan_dataset.py`, BasicSR's
`filter2D`, noise and `DiffJPEG`):
- each GT is cropped or padded (reflect-101, bottom/right) to `crop_pad_size` (400), degraded whole,
  and then a paired random crop takes the GT patch and its LR (`paired_random_crop`);
- blur is a correlation with reflect-101 borders (`filter2D`);
- resizes are torch's `F.interpolate` without antialiasing: 'area' (adaptive average pooling),
  'bilinear' and 'bicubic' (a = -0.75), align_corners=False; the first stage passes a scale factor
  (output floor(size * s), source coordinates mapped by 1/s), the second and the final one a size;
- noise as BasicSR's `*_pt` functions (gray: torchvision's 0.2989/0.587/0.114 luma);
- JPEG is DiffJPEG (`differentiable=False`): float quality, zero padding to a multiple of 16, float
  output; libjpeg (OpenCV, integer quality, 8-bit) remains as `jpeg='libjpeg'`;
- the LR is rounded to 8 bits (half to even, as torch.round).
Where it does not: every choice is per sample (Real-ESRGAN draws the resize factor and mode, the noise
type, the second blur and the final order once per batch, the crop position once per batch, and relies on
the training-pair pool to mix batches). Real-ESRGAN degrades the USM-sharpened GT (`degrade_sharpened`):
the caller passes `usm_sharpen(hr)`.
"""
import math
from typing import NamedTuple

import cv2
import ml_collections
import numpy as np
from scipy import fft, special

from sr_jax.ops.imresize import apply_separable, imresize, to_uint8

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
JPEG_MODES = ("diffjpeg", "libjpeg")  # config.degradation.jpeg


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
      "jpeg_range": (30.0, 95.0),  # a float quality, drawn uniformly (libjpeg rounds it)
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
      "pool_size": 180,  # training-pair pool (either path); a multiple of the per-step batch
      # BasicSR's DiffJPEG (float quality, float output), or 'libjpeg' (OpenCV; 8-bit, integer quality)
      "jpeg": "diffjpeg",
      # Each GT is cropped or padded to this side, degraded whole, then paired-cropped to
      # data.hr_patch (its LR to hr_patch / scale); 0 degrades the hr_patch crop itself.
      "crop_pad_size": 400,
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
      f"jpeg{name}_quality": np.float32(rng.uniform(jpeg_lo, jpeg_hi)),
  }


def stage_sizes(hr_hw, scale, s1, s2):
  """Sizes after the first resize (`interpolate(scale_factor=s1)`: floor(x·s1)) and the second
  (`interpolate(size=int(x / scale · s2))`), x being the side of the whole degraded GT."""
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
  # interpolate(scale_factor=s1) maps output to input coordinates by 1/s1 (in float32), not by the
  # ratio of the sizes; the later resizes get a size, so theirs is the ratio.
  params["resize1_ratio"] = np.float32(1.0 / s1)
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

  Integer window ends, as ATen computes them, so the host and the device agree exactly.
  """
  o = np.arange(n_out)
  start, end = o * n_in // n_out, -(-(o + 1) * n_in // n_out)
  i = np.arange(n_in)
  return ((i >= start[:, None]) & (i < end[:, None])) / (end - start)[:, None]


CUBIC_A = -0.75  # torch's bicubic (MATLAB's imresize uses -0.5)


def cubic_weights(t, a=CUBIC_A):
  """Weights of the taps at floor(x) − 1 … floor(x) + 2 for fraction t = x − floor(x) (Keys, a)."""
  near = lambda d: ((a + 2) * d - (a + 3)) * d * d + 1  # |d| <= 1
  far = lambda d: ((a * d - 5 * a) * d + 8 * a) * d - 4 * a  # 1 < |d| < 2
  return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def source_coords(n_in: int, n_out: int, ratio=None) -> np.ndarray:
  """Input coordinate of each output pixel, align_corners=False, in float32 as ATen computes it:
  ratio·(o + ½) − ½, where ratio is 1/scale_factor when interpolate got one, else n_in/n_out."""
  r = np.float32(ratio) if ratio is not None else np.float32(n_in) / np.float32(n_out)
  return r * (np.arange(n_out, dtype=np.float32) + np.float32(0.5)) - np.float32(0.5)


def torch_resize_matrix(n_in: int, n_out: int, method: str, ratio=None) -> np.ndarray:
  """(n_out, n_in) weights of torch's `F.interpolate` along one axis (no antialiasing).

  'bilinear': two taps at the source coordinate clamped to >= 0, the upper one held at the edge;
  'bicubic': four taps, indices clamped to the image; 'area': adaptive average pooling.
  """
  if method == "area":
    return area_matrix(n_in, n_out)
  src = source_coords(n_in, n_out, ratio)
  rows = np.arange(n_out)[:, None]
  m = np.zeros((n_out, n_in))
  if method == "bilinear":
    src = np.maximum(src, 0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    lam = np.clip(src - i0, 0, 1).astype(np.float32)
    idx = np.stack([i0, np.minimum(i0 + 1, n_in - 1)], 1)
    w = np.stack([1 - lam, lam], 1)
  elif method == "bicubic":
    i0 = np.floor(src).astype(np.int64)
    t = (src - i0).astype(np.float32)
    idx = np.clip(i0[:, None] - 1 + np.arange(4), 0, n_in - 1)
    w = np.stack(cubic_weights(t), 1)
  else:
    raise ValueError(f"unknown resize method {method!r}; known: {', '.join(RESIZE_METHODS)}")
  np.add.at(m, (np.broadcast_to(rows, idx.shape), idx), w)
  return m


def resize(img: np.ndarray, out_hw, method: str, ratio=None) -> np.ndarray:
  """torch's `F.interpolate(img, size=out_hw, mode=method)` of an (H, W, C) image; `ratio` (1/scale
  factor) when the call passes `scale_factor` instead (out_hw is then floor(size · scale factor))."""
  (h, w), (oh, ow) = img.shape[:2], (int(out_hw[0]), int(out_hw[1]))
  mh, mw = torch_resize_matrix(h, oh, method, ratio), torch_resize_matrix(w, ow, method, ratio)
  return apply_separable(img, mh, mw).astype(np.float32)


LUMA = (0.2989, 0.587, 0.114)  # torchvision's rgb_to_grayscale, which BasicSR's gray Poisson noise uses


def gray(img: np.ndarray) -> np.ndarray:
  """torchvision's luma; einsum's own loop, not a BLAS call (see imresize.apply_separable)."""
  return np.einsum("...c,c->...", img, np.asarray(LUMA, img.dtype))


def poisson_levels(img8: np.ndarray) -> int:
  """BasicSR's photon scale: the distinct 8-bit values present, rounded up to a power of two."""
  count = np.count_nonzero(np.bincount(img8.ravel().astype(np.int64), minlength=256))
  return 2 ** math.ceil(math.log2(max(count, 1)))


def add_gaussian_noise(img, sigma, gray_noise, rng):
  """img + σ·N(0, 1), one noise plane for all channels when gray_noise; clipped to [0, 1].

  rng: anything with np.random.Generator's `standard_normal(shape, dtype)` (tests pass fixed draws).
  """
  shape = img.shape[:2] + (1,) if gray_noise else img.shape
  return np.clip(img + np.float32(sigma) * rng.standard_normal(shape, np.float32), 0, 1)


def add_poisson_noise(img, scale, gray_noise, rng):
  """BasicSR's Poisson noise: photon counts from the 8-bit-rounded image (its luma when gray_noise),
  at `poisson_levels` photons per unit; img + scale·noise, clipped. rng: `poisson(lam)` as NumPy's."""
  src = gray(img)[..., None] if gray_noise else img
  src8 = np.clip(np.round(src * 255), 0, 255)
  vals = np.float32(poisson_levels(src8))
  src = (src8 / 255).astype(np.float32)
  noise = np.asarray(rng.poisson(src * vals), np.float32) / vals - src
  return np.clip(img + np.float32(scale) * noise, 0, 1).astype(np.float32)


def jpeg(img: np.ndarray, quality) -> np.ndarray:
  """libjpeg (through OpenCV) round trip of an RGB image in [0, 1]; 8 bits in, 8 bits out; the
  quality rounded to an integer."""
  bgr = to_uint8(np.clip(img, 0, 1) * 255)[..., ::-1]
  q = int(np.round(quality))
  ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(bgr), [cv2.IMWRITE_JPEG_QUALITY, q])
  if not ok:
    raise RuntimeError("cv2.imencode failed")
  return cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1].astype(np.float32) / 255


# BasicSR's DiffJPEG. Its luma table is the JPEG standard's transposed (its (u, v) indexing); the
# chroma table is symmetric. Colour conversion is JPEG's full-range YCbCr.
DIFFJPEG_LUMA = np.array([
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99],
    np.float32).reshape(8, 8).T
DIFFJPEG_CHROMA = np.full((8, 8), 99, np.float32)
DIFFJPEG_CHROMA[:4, :4] = [[17, 18, 24, 47], [18, 21, 26, 66], [24, 26, 56, 99], [47, 66, 99, 99]]
RGB_TO_YCBCR = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5],
                         [0.5, -0.418688, -0.081312]], np.float32)
YCBCR_TO_RGB = np.array([[1, 0, 1.402], [1, -0.344136, -0.714136], [1, 1.772, 0]], np.float32)
_u = np.arange(8)
DCT8 = (np.sqrt(2 / 8) * np.cos(np.pi * (2 * _u[None, :] + 1) * _u[:, None] / 16)
        * np.where(_u == 0, np.sqrt(0.5), 1.0)[:, None])  # orthonormal DCT-II rows: DiffJPEG's ¼·α(u)α(v)


def diffjpeg_factor(quality):
  """DiffJPEG's quality → table multiplier: 50/q below 50, 2 − q/50 from 50 on (float32, unclipped)."""
  q = np.float32(quality)
  return np.float32(np.float32(5000) / q if q < 50 else np.float32(200) - q * np.float32(2)) / np.float32(100)


def _diffjpeg_plane(plane: np.ndarray, table: np.ndarray) -> np.ndarray:
  """Level shift, 8×8 DCT, quantise (round half to even), dequantise, IDCT, in float64. The
  orthonormal DCT-II of each block is DCT8 · block · DCT8ᵀ; scipy's FFT computes it (one thread)."""
  h, w = plane.shape
  blocks = (plane - 128).reshape(h // 8, 8, w // 8, 8)
  coef = fft.dctn(blocks, type=2, norm="ortho", axes=(1, 3))
  coef = np.round(coef / table[None, :, None, :]) * table[None, :, None, :]
  return (fft.idctn(coef, type=2, norm="ortho", axes=(1, 3)) + 128).reshape(h, w)


def diffjpeg(img: np.ndarray, quality) -> np.ndarray:
  """BasicSR's `DiffJPEG(differentiable=False)` of one RGB image in [0, 1] at a float quality.

  Clamp, zero-pad bottom/right to a multiple of 16, ×255, RGB → YCbCr, 2×2 average of Cb and Cr,
  8×8 DCT, quantise with the tables × `diffjpeg_factor(quality)` and round, dequantise, IDCT, chroma
  repeated 2×2, YCbCr → RGB, clamp to [0, 255], crop, /255; float32, not rounded to 8 bits.
  """
  h, w = img.shape[:2]
  x = np.pad(np.clip(np.asarray(img, np.float32), 0, 1), ((0, -h % 16), (0, -w % 16), (0, 0)))
  ycc = np.einsum("hwc,kc->khw", x.astype(np.float64) * 255, RGB_TO_YCBCR.astype(np.float64))
  ycc[1:] += 128
  factor = diffjpeg_factor(quality)
  y = _diffjpeg_plane(ycc[0], (DIFFJPEG_LUMA * factor).astype(np.float64))
  chroma = []
  for c in ycc[1:]:
    c = c.reshape(c.shape[0] // 2, 2, c.shape[1] // 2, 2).mean(axis=(1, 3))
    c = _diffjpeg_plane(c, (DIFFJPEG_CHROMA * factor).astype(np.float64))
    chroma.append(np.repeat(np.repeat(c, 2, axis=0), 2, axis=1) - 128)
  rgb = np.einsum("khw,ck->hwc", np.stack([y, *chroma]), YCBCR_TO_RGB.astype(np.float64))
  return (np.clip(rgb, 0, 255)[:h, :w] / 255).astype(np.float32)


JPEG = {"diffjpeg": diffjpeg, "libjpeg": jpeg}


def _noise(img, params, name, rng):
  if params[f"noise{name}_gaussian"]:
    return add_gaussian_noise(img, params[f"noise{name}_sigma"], params[f"noise{name}_gray"], rng)
  return add_poisson_noise(img, params[f"noise{name}_poisson_scale"], params[f"noise{name}_gray"], rng)


def quantize_lr(x: np.ndarray) -> np.ndarray:
  """Real-ESRGAN's final `clamp((x·255).round(), 0, 255)`, round half to even, as uint8."""
  return np.clip(np.round(np.asarray(x, np.float32) * np.float32(255)), 0, 255).astype(np.uint8)


def apply_cpu(hr: np.ndarray, params: dict, jpeg: str = "diffjpeg", rng=None) -> np.ndarray:
  """Real-ESRGAN's second-order degradation of one (H, W, 3) image (uint8, or float in [0, 1]) → uint8
  LR of `params['lr_hw']`. jpeg: a JPEG_MODES name; rng: the noise draws (default: from
  params['noise_seed'])."""
  x = hr.astype(np.float32) / 255 if hr.dtype == np.uint8 else hr.astype(np.float32)
  compress = JPEG[jpeg]
  lr_hw = params["lr_hw"]
  rng = np.random.default_rng(int(params["noise_seed"])) if rng is None else rng
  x = blur(x, params["kernel1"])
  x = resize(x, params["resize1_hw"], RESIZE_METHODS[params["resize1_method"]],
             ratio=params["resize1_ratio"])
  x = compress(np.clip(_noise(x, params, 1, rng), 0, 1), params["jpeg1_quality"])
  x = blur(x, params["kernel2"])
  x = resize(x, params["resize2_hw"], RESIZE_METHODS[params["resize2_method"]])
  x = _noise(x, params, 2, rng)
  final = RESIZE_METHODS[params["final_method"]]
  if params["jpeg_first"]:
    x = blur(resize(compress(np.clip(x, 0, 1), params["jpeg2_quality"]), lr_hw, final),
             params["sinc_kernel"])
  else:
    x = compress(np.clip(blur(resize(x, lr_hw, final), params["sinc_kernel"]), 0, 1),
                 params["jpeg2_quality"])
  return quantize_lr(x)


# ---------------------------------------------------------------------------------------------------------
# Real-ESRGAN's cropping: crop or pad each GT to crop_pad_size, degrade it whole, then a paired crop.


def crop_or_pad(img: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
  """`realesrgan_dataset`: pad bottom/right with reflect-101 up to size, then a random size×size crop."""
  h, w = img.shape[:2]
  if h < size or w < size:
    img = cv2.copyMakeBorder(np.ascontiguousarray(img), 0, max(0, size - h), 0, max(0, size - w),
                             cv2.BORDER_REFLECT_101).reshape(max(h, size), max(w, size), *img.shape[2:])
  top = int(rng.integers(0, img.shape[0] - size + 1))
  left = int(rng.integers(0, img.shape[1] - size + 1))
  return img[top:top + size, left:left + size]


def crop_position(rng: np.random.Generator, lr_hw, lr_patch: int) -> np.ndarray:
  """`paired_random_crop`'s (top, left) on the LR grid: uniform over the positions that fit."""
  return np.asarray([rng.integers(0, int(lr_hw[0]) - lr_patch + 1),
                     rng.integers(0, int(lr_hw[1]) - lr_patch + 1)], np.int32)


def paired_crop(lr: np.ndarray, gt: np.ndarray, crop, lr_patch: int, scale: int):
  """The LR patch at crop (top, left) and the GT patch at scale × that position."""
  top, left = int(crop[0]), int(crop[1])
  g = lr_patch * scale
  return (lr[top:top + lr_patch, left:left + lr_patch],
          gt[top * scale:top * scale + g, left * scale:left * scale + g])


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
