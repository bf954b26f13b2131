"""The spatial steerable pyramid of matlabPyrTools (`buildSpyr`), order 5, in JAX.

IFC and wavelet-domain VIF (Sheikh, Bovik et al. 2005/2006) measure information in the
sub-bands of `buildSpyr(im, 4, 'sp5Filters', 'reflect1')`; published IFC numbers depend on
exactly those sub-bands, so this reproduces them: every filtering is matlabPyrTools' `corrDn`, a
correlation (no flip) with the filter's origin at its centre tap, with `reflect1` edges
(reflection about the edge pixel, no repeat — NumPy's 'reflect'), optionally keeping every
second output row and column starting at the first. One level takes the band-pass `lo` image
through six oriented 7×7 filters (full size) and a 9×9 low-pass decimated by 2 for the next.

Orientation b (0..5) is the filter `bfilts(:, b+1)` of sp5Filters.m, i.e. angle b·30°.
"""
import jax
import jax.numpy as jnp
import numpy as np

# Filter taps of matlabPyrTools `sp5Filters.m` (Simoncelli; Karasaridis & Simoncelli 1996), as
# distributed with the LIVE IFC/VIF code (e.g. jbhuang0604/SelfExSR,
# quant_eval/ifcvec_release/matlabPyrTools/sp5Filters.m). Numbers only, row by row as printed.
SP5_HI0 = np.array([
    [-0.00033429, -0.00113093, -0.00171484, -0.00133542, -0.00080639,
     -0.00133542, -0.00171484, -0.00113093, -0.00033429],
    [-0.00113093, -0.00350017, -0.00243812, 0.00631653, 0.01261227,
     0.00631653, -0.00243812, -0.00350017, -0.00113093],
    [-0.00171484, -0.00243812, -0.00290081, -0.00673482, -0.00981051,
     -0.00673482, -0.00290081, -0.00243812, -0.00171484],
    [-0.00133542, 0.00631653, -0.00673482, -0.07027679, -0.11435863,
     -0.07027679, -0.00673482, 0.00631653, -0.00133542],
    [-0.00080639, 0.01261227, -0.00981051, -0.11435863, 0.81380200,
     -0.11435863, -0.00981051, 0.01261227, -0.00080639],
    [-0.00133542, 0.00631653, -0.00673482, -0.07027679, -0.11435863,
     -0.07027679, -0.00673482, 0.00631653, -0.00133542],
    [-0.00171484, -0.00243812, -0.00290081, -0.00673482, -0.00981051,
     -0.00673482, -0.00290081, -0.00243812, -0.00171484],
    [-0.00113093, -0.00350017, -0.00243812, 0.00631653, 0.01261227,
     0.00631653, -0.00243812, -0.00350017, -0.00113093],
    [-0.00033429, -0.00113093, -0.00171484, -0.00133542, -0.00080639,
     -0.00133542, -0.00171484, -0.00113093, -0.00033429],
])
SP5_LO0 = np.array([
    [0.00341614, -0.01551246, -0.03848215, -0.01551246, 0.00341614],
    [-0.01551246, 0.05586982, 0.15925570, 0.05586982, -0.01551246],
    [-0.03848215, 0.15925570, 0.40304148, 0.15925570, -0.03848215],
    [-0.01551246, 0.05586982, 0.15925570, 0.05586982, -0.01551246],
    [0.00341614, -0.01551246, -0.03848215, -0.01551246, 0.00341614],
])
SP5_LO = 2 * np.array([
    [0.00085404, -0.00244917, -0.00387812, -0.00944432, -0.00962054,
     -0.00944432, -0.00387812, -0.00244917, 0.00085404],
    [-0.00244917, -0.00523281, -0.00661117, 0.00410600, 0.01002988,
     0.00410600, -0.00661117, -0.00523281, -0.00244917],
    [-0.00387812, -0.00661117, 0.01396746, 0.03277038, 0.03981393,
     0.03277038, 0.01396746, -0.00661117, -0.00387812],
    [-0.00944432, 0.00410600, 0.03277038, 0.06426333, 0.08169618,
     0.06426333, 0.03277038, 0.00410600, -0.00944432],
    [-0.00962054, 0.01002988, 0.03981393, 0.08169618, 0.10096540,
     0.08169618, 0.03981393, 0.01002988, -0.00962054],
    [-0.00944432, 0.00410600, 0.03277038, 0.06426333, 0.08169618,
     0.06426333, 0.03277038, 0.00410600, -0.00944432],
    [-0.00387812, -0.00661117, 0.01396746, 0.03277038, 0.03981393,
     0.03277038, 0.01396746, -0.00661117, -0.00387812],
    [-0.00244917, -0.00523281, -0.00661117, 0.00410600, 0.01002988,
     0.00410600, -0.00661117, -0.00523281, -0.00244917],
    [0.00085404, -0.00244917, -0.00387812, -0.00944432, -0.00962054,
     -0.00944432, -0.00387812, -0.00244917, 0.00085404],
])
# `bfilts` is printed as six rows of 49 taps and transposed; column b, reshaped 7×7 in MATLAB's
# column-major order, is the filter of orientation b.
_BFILTS_ROWS = np.array([
    [0.00277643, 0.00496194, 0.01026699, 0.01455399, 0.01026699, 0.00496194, 0.00277643,
     -0.00986904, -0.00893064, 0.01189859, 0.02755155, 0.01189859, -0.00893064, -0.00986904,
     -0.01021852, -0.03075356, -0.08226445, -0.11732297, -0.08226445, -0.03075356, -0.01021852,
     0.00000000, 0.00000000, 0.00000000, 0.00000000, 0.00000000, 0.00000000, 0.00000000,
     0.01021852, 0.03075356, 0.08226445, 0.11732297, 0.08226445, 0.03075356, 0.01021852,
     0.00986904, 0.00893064, -0.01189859, -0.02755155, -0.01189859, 0.00893064, 0.00986904,
     -0.00277643, -0.00496194, -0.01026699, -0.01455399, -0.01026699, -0.00496194, -0.00277643],
    [-0.00343249, -0.00640815, -0.00073141, 0.01124321, 0.00182078, 0.00285723, 0.01166982,
     -0.00358461, -0.01977507, -0.04084211, -0.00228219, 0.03930573, 0.01161195, 0.00128000,
     0.01047717, 0.01486305, -0.04819057, -0.12227230, -0.05394139, 0.00853965, -0.00459034,
     0.00790407, 0.04435647, 0.09454202, -0.00000000, -0.09454202, -0.04435647, -0.00790407,
     0.00459034, -0.00853965, 0.05394139, 0.12227230, 0.04819057, -0.01486305, -0.01047717,
     -0.00128000, -0.01161195, -0.03930573, 0.00228219, 0.04084211, 0.01977507, 0.00358461,
     -0.01166982, -0.00285723, -0.00182078, -0.01124321, 0.00073141, 0.00640815, 0.00343249],
    [0.00343249, 0.00358461, -0.01047717, -0.00790407, -0.00459034, 0.00128000, 0.01166982,
     0.00640815, 0.01977507, -0.01486305, -0.04435647, 0.00853965, 0.01161195, 0.00285723,
     0.00073141, 0.04084211, 0.04819057, -0.09454202, -0.05394139, 0.03930573, 0.00182078,
     -0.01124321, 0.00228219, 0.12227230, -0.00000000, -0.12227230, -0.00228219, 0.01124321,
     -0.00182078, -0.03930573, 0.05394139, 0.09454202, -0.04819057, -0.04084211, -0.00073141,
     -0.00285723, -0.01161195, -0.00853965, 0.04435647, 0.01486305, -0.01977507, -0.00640815,
     -0.01166982, -0.00128000, 0.00459034, 0.00790407, 0.01047717, -0.00358461, -0.00343249],
    [-0.00277643, 0.00986904, 0.01021852, -0.00000000, -0.01021852, -0.00986904, 0.00277643,
     -0.00496194, 0.00893064, 0.03075356, -0.00000000, -0.03075356, -0.00893064, 0.00496194,
     -0.01026699, -0.01189859, 0.08226445, -0.00000000, -0.08226445, 0.01189859, 0.01026699,
     -0.01455399, -0.02755155, 0.11732297, -0.00000000, -0.11732297, 0.02755155, 0.01455399,
     -0.01026699, -0.01189859, 0.08226445, -0.00000000, -0.08226445, 0.01189859, 0.01026699,
     -0.00496194, 0.00893064, 0.03075356, -0.00000000, -0.03075356, -0.00893064, 0.00496194,
     -0.00277643, 0.00986904, 0.01021852, -0.00000000, -0.01021852, -0.00986904, 0.00277643],
    [-0.01166982, -0.00128000, 0.00459034, 0.00790407, 0.01047717, -0.00358461, -0.00343249,
     -0.00285723, -0.01161195, -0.00853965, 0.04435647, 0.01486305, -0.01977507, -0.00640815,
     -0.00182078, -0.03930573, 0.05394139, 0.09454202, -0.04819057, -0.04084211, -0.00073141,
     -0.01124321, 0.00228219, 0.12227230, -0.00000000, -0.12227230, -0.00228219, 0.01124321,
     0.00073141, 0.04084211, 0.04819057, -0.09454202, -0.05394139, 0.03930573, 0.00182078,
     0.00640815, 0.01977507, -0.01486305, -0.04435647, 0.00853965, 0.01161195, 0.00285723,
     0.00343249, 0.00358461, -0.01047717, -0.00790407, -0.00459034, 0.00128000, 0.01166982],
    [-0.01166982, -0.00285723, -0.00182078, -0.01124321, 0.00073141, 0.00640815, 0.00343249,
     -0.00128000, -0.01161195, -0.03930573, 0.00228219, 0.04084211, 0.01977507, 0.00358461,
     0.00459034, -0.00853965, 0.05394139, 0.12227230, 0.04819057, -0.01486305, -0.01047717,
     0.00790407, 0.04435647, 0.09454202, -0.00000000, -0.09454202, -0.04435647, -0.00790407,
     0.01047717, 0.01486305, -0.04819057, -0.12227230, -0.05394139, 0.00853965, -0.00459034,
     -0.00358461, -0.01977507, -0.04084211, -0.00228219, 0.03930573, 0.01161195, 0.00128000,
     -0.00343249, -0.00640815, -0.00073141, 0.01124321, 0.00182078, 0.00285723, 0.01166982],
])
SP5_BANDS = np.stack([row.reshape(7, 7).T for row in _BFILTS_ROWS])  # (6, 7, 7), MATLAB order
NUM_ORIENTATIONS = 6


def reflect_index(i: jnp.ndarray, n) -> jnp.ndarray:
  """Positions i (any integers) reflected about the edge pixels of a length-n axis (n ≥ 2):
  … 2 1 | 0 1 … n−1 | n−2 … ; n may be traced."""
  period = 2 * (n - 1)
  m = jnp.mod(i, period)
  return jnp.where(m >= n, period - m, m)


def pad_reflect(x: jnp.ndarray, pad: int, size) -> jnp.ndarray:
  """(…, H, W) → (…, H + 2·pad, W + 2·pad): `reflect1` extension of the top-left (h, w) = size
  region (a size that may be traced; the rest of the buffer is never read), by gathering."""
  rows = reflect_index(jnp.arange(x.shape[-2] + 2 * pad) - pad, size[0])
  cols = reflect_index(jnp.arange(x.shape[-1] + 2 * pad) - pad, size[1])
  return jnp.take(jnp.take(x, rows, axis=-2, mode="clip"), cols, axis=-1, mode="clip")


def corr_dn(x: jnp.ndarray, filters: np.ndarray, step: int = 1, size=None) -> jnp.ndarray:
  """matlabPyrTools `corrDn(x, f, 'reflect1', [step step])` of the (h, w) = size region of
  (…, H, W) buffers (default: all of them) with each of (K, k, k) odd-sized filters.

  → (…, K, ceil(H/step), ceil(W/step)), of which the top-left (ceil(h/step), ceil(w/step)) is
  the result; the rest is undefined."""
  size = x.shape[-2:] if size is None else size
  lead = x.shape[:-2]
  xp = pad_reflect(x, filters.shape[-1] // 2, size)
  xp = xp.reshape((-1, 1) + xp.shape[-2:])  # NCHW, one channel
  w = jnp.asarray(filters, x.dtype)[:, None]  # OIHW
  out = jax.lax.conv_general_dilated(xp, w, (step, step), "VALID",
                                     precision=jax.lax.Precision.HIGHEST)
  return out.reshape(lead + out.shape[1:])


def max_height(shape: tuple[int, int], filter_size: int = SP5_LO.shape[0]) -> int:
  """matlabPyrTools `maxPyrHt`: levels until a side gets smaller than the low-pass filter."""
  h, w = shape
  height = 0
  while h >= filter_size and w >= filter_size:
    height, h, w = height + 1, h // 2, w // 2
  return height


def min_side(height: int, filter_size: int = SP5_LO.shape[0]) -> int:
  """The smallest image side with `height` levels (72 for 4)."""
  return filter_size * 2 ** (height - 1)


def build(image: jnp.ndarray, height: int = 4, size=None,
          orientations: tuple[int, ...] = tuple(range(NUM_ORIENTATIONS))) -> dict:
  """`buildSpyr(image, height, 'sp5Filters', 'reflect1')` of the (h, w) = size region of
  (…, H, W) buffers (default: all of them; a traced size lets one compiled function serve a
  bucket of image sizes).

  Returns {'highpass': (…, H, W), 'bands': per level, 0 finest, (…, len(orientations), H_l,
  W_l), 'sizes': per level the true (h_l, w_l) inside it, 'lowpass', 'lowpass_size'}. Level l is
  the image decimated l times (h_l = ceil(h/2^l)); entries beyond the true size are undefined.
  """
  if size is None:
    size = image.shape[-2:]
    if height > max_height(size):
      raise ValueError(f"an image of {tuple(size)} has at most {max_height(size)} steerable "
                       f"pyramid levels, not {height}")
  dtype = jnp.promote_types(image.dtype, jnp.float32)
  image = image.astype(dtype)
  highpass = corr_dn(image, SP5_HI0[None], size=size)[..., 0, :, :]
  lo = corr_dn(image, SP5_LO0[None], size=size)[..., 0, :, :]
  filters = SP5_BANDS[list(orientations)]
  bands, sizes = [], []
  for _ in range(height):
    bands.append(corr_dn(lo, filters, size=size))
    sizes.append(size)
    lo = corr_dn(lo, SP5_LO[None], step=2, size=size)[..., 0, :, :]
    size = ((size[0] + 1) // 2, (size[1] + 1) // 2)
  return {"highpass": highpass, "bands": bands, "sizes": sizes, "lowpass": lo,
          "lowpass_size": size}
