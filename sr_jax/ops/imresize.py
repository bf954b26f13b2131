"""MATLAB-compatible `imresize`, as one weight matrix per axis.

MATLAB resizes each axis with a kernel sampled at u = x/scale + (1 - 1/scale)/2, widens
and scales the kernel by 1/scale when shrinking (antialiasing), mirrors indices at the
borders (symmetric padding) and normalises each row of weights to sum to one. Writing
that as a dense (out, in) matrix per axis makes the same weights usable from NumPy (grain
workers, benchmark LR) and from JAX (inside jit, on the accelerator): out = Wh · img · Wwᵀ.
`jax.image.resize` and OpenCV differ at the borders and in antialiasing.
"""
import functools
import math

import jax.numpy as jnp
import numpy as np
from scipy import sparse


def _cubic(x):
  ax = np.abs(x)
  return ((1.5 * ax**3 - 2.5 * ax**2 + 1) * (ax <= 1)
          + (-0.5 * ax**3 + 2.5 * ax**2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2)))


def _box(x):
  return ((x >= -0.5) & (x < 0.5)).astype(np.float64)


def _triangle(x):
  return (x + 1) * ((x >= -1) & (x < 0)) + (1 - x) * ((x >= 0) & (x <= 1))


def _lanczos(a):
  def kernel(x):
    return np.sinc(x) * np.sinc(x / a) * (np.abs(x) < a)
  return kernel


# name → (kernel, support width), MATLAB's names; 'area' is MATLAB's 'box' (antialiased).
KERNELS = {
    "bicubic": (_cubic, 4.0),
    "bilinear": (_triangle, 2.0),
    "area": (_box, 1.0),
    "nearest": (_box, 1.0),
    "lanczos2": (_lanczos(2), 4.0),
    "lanczos3": (_lanczos(3), 6.0),
}


def output_size(in_size: int, scale: float) -> int:
  """MATLAB's ceil(in·scale), guarded against 0.1+0.2-style float error."""
  return int(math.ceil(round(in_size * scale, 9)))


def _contributions(out_size: int, scale: float, method: str):
  """MATLAB's contributions: for each output position, the 1-based source positions it reads
  (which may lie outside the image) and their normalised weights, both (out_size, taps)."""
  if method not in KERNELS:
    raise ValueError(f"unknown resize method {method!r}; known: {', '.join(KERNELS)}")
  kernel, width = KERNELS[method]
  antialias = scale < 1 and method != "nearest"
  if antialias:
    weight_fn = lambda x: scale * kernel(scale * x)
    width = width / scale
  else:
    weight_fn = kernel
  x = np.arange(1, out_size + 1, dtype=np.float64)
  u = x / scale + 0.5 * (1 - 1 / scale)
  left = np.floor(u - width / 2)
  taps = int(math.ceil(width)) + 2
  idx = left[:, None] + np.arange(taps)[None, :]
  weights = weight_fn(u[:, None] - idx)
  return idx.astype(np.int64), weights / weights.sum(axis=1, keepdims=True)


def _mirror(idx, in_size, xp=np):
  """0-based positions (any integers) reflected into [0, in_size) as MATLAB's symmetric padding:
  0 1 … n−1 n−1 … 0, repeating. xp: np, or jnp for a symbolic in_size."""
  m = idx % (2 * in_size)
  return xp.where(m < in_size, m, 2 * in_size - 1 - m)


@functools.lru_cache(maxsize=256)
def resize_matrix(in_size: int, out_size: int, scale: float,
                  method: str = "bicubic") -> np.ndarray:
  """The (out_size, in_size) float64 matrix that resizes one axis as MATLAB does."""
  idx, weights = _contributions(out_size, scale, method)
  matrix = np.zeros((out_size, in_size), np.float64)
  np.add.at(matrix, (np.repeat(np.arange(out_size), idx.shape[1]),
                     _mirror(idx - 1, in_size).ravel()), weights.ravel())
  matrix.setflags(write=False)
  return matrix


def _upscale_axis_gathered(x: jnp.ndarray, axis: int, scale: int, method: str) -> jnp.ndarray:
  """An integer upscale of one axis of any size, symbolic too (jax.export), where no matrix can
  be built: output row q·s + j reads source rows q + idx[j] − 1 with weights[j], the same for
  every q (u grows by exactly 1 per s outputs), mirrored at the edges."""
  idx, weights = _contributions(scale, scale, method)  # the first s outputs: one period
  n = x.shape[axis]
  src = _mirror(jnp.arange(n)[:, None, None] + (idx - 1)[None], n, jnp)  # (n, s, taps)
  taps = jnp.take(x, src.reshape(-1), axis=axis)
  taps = taps.reshape(*x.shape[:axis], n, *idx.shape, *x.shape[axis + 1:])
  w = jnp.asarray(weights, x.dtype).reshape(*idx.shape, *([1] * (x.ndim - axis - 1)))
  out = (taps * w).sum(axis=axis + 2)
  return out.reshape(*x.shape[:axis], n * scale, *x.shape[axis + 1:])


def _matrices(h: int, w: int, scale: float, method: str, out_hw=None):
  out_h, out_w = out_hw if out_hw is not None else (output_size(h, scale), output_size(w, scale))
  sh, sw = (scale, scale) if out_hw is None else (out_h / h, out_w / w)
  return resize_matrix(h, out_h, sh, method), resize_matrix(w, out_w, sw, method)


def apply_separable(img: np.ndarray, wh: np.ndarray, ww: np.ndarray) -> np.ndarray:
  """Wh · img · Wwᵀ over the first two axes of an (H, W, ...) array, in float64.

  The matrices are banded (a few taps a row), so sparse products do a fraction of a dense
  product's work, and they use no BLAS threads: in parallel grain workers OpenBLAS's thread pools
  oversubscribe the cores (a 40×256 by 256×768 product: 0.5 ms on one thread, 15.6 ms with two
  threads on a busy 2-core host).
  """
  (h, w), rest, oh, ow = img.shape[:2], img.shape[2:], len(wh), len(ww)
  x = sparse.csr_matrix(wh) @ np.asarray(img, np.float64).reshape(h, -1)  # (oh, w·rest)
  x = sparse.csr_matrix(ww) @ x.reshape(oh, w, -1).swapaxes(0, 1).reshape(w, -1)  # (ow, oh·rest)
  return x.reshape(ow, oh, *rest).swapaxes(0, 1)


def imresize(img: np.ndarray, scale: float, method: str = "bicubic",
             out_hw: tuple[int, int] | None = None) -> np.ndarray:
  """MATLAB `imresize(img, scale, method)` for an (H, W) or (H, W, C) array, in float64.

  No rounding: callers that need 8 bits round once at the end.
  """
  wh, ww = _matrices(img.shape[0], img.shape[1], scale, method, out_hw)
  return apply_separable(img, wh, ww)


def resize_jax(x: jnp.ndarray, scale: float, method: str = "bicubic",
               out_hw: tuple[int, int] | None = None) -> jnp.ndarray:
  """The same resize for a batch (N, H, W, C) inside jit; weights are trace-time constants.

  A symbolic height or width (jax.export) has no matrix: an integer upscale, all the models
  need, is then computed by gathering (equal to the matrices up to float rounding)."""
  dtype = jnp.promote_types(x.dtype, jnp.float32)
  x = x.astype(dtype)
  if not all(isinstance(d, int) for d in x.shape[1:3]):
    if out_hw is not None or scale != int(scale) or scale < 1:
      raise ValueError(f"a symbolic image size takes only an integer upscale, not {scale}")
    for axis in (1, 2):
      x = _upscale_axis_gathered(x, axis, int(scale), method)
    return x
  wh, ww = _matrices(x.shape[1], x.shape[2], scale, method, out_hw)
  x = jnp.einsum("oh,nhwc->nowc", jnp.asarray(wh, dtype), x, precision="highest")
  return jnp.einsum("pw,nowc->nopc", jnp.asarray(ww, dtype), x, precision="highest")


def to_uint8(x: np.ndarray) -> np.ndarray:
  """Round half away from zero and clip, as MATLAB's conversion to uint8 does."""
  return np.clip(np.floor(np.asarray(x) + 0.5), 0, 255).astype(np.uint8)


def bicubic_downscale(hr: np.ndarray, scale: int) -> np.ndarray:
  """Benchmark LR from a uint8 HR image: mod-crop to the scale, MATLAB bicubic ×1/scale, 8 bits."""
  h, w = (hr.shape[0] // scale) * scale, (hr.shape[1] // scale) * scale
  return to_uint8(imresize(hr[:h, :w], 1 / scale))
