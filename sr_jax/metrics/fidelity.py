"""IFC, VIF, VIF-P and MS-SSIM: the fidelity metrics SR tables report beside PSNR/SSIM.

Each follows its authors' MATLAB release, because published numbers depend on its details:
- `ifc`: Sheikh, Bovik & de Veciana 2005, LIVE `ifcvec.m` (the IFC of the SelfExSR/LapSRN
  evaluation code). Sub-bands 0° and 90° of all 4 levels of the sp5 steerable pyramid
  (`steerable_pyramid`), a vector GSM on 3×3 blocks per sub-band, a gain-plus-noise distortion
  channel fitted over (2^(4−level)+1)² windows at each block centre, border blocks dropped;
  Σ log2(1 + g²·s²·λ_j / (σ_v² + 1e-10)) over blocks, eigenvalues and sub-bands, divided by the
  number of pixels. Not bounded: bits per pixel, higher is better.
- `vif`: Sheikh & Bovik 2006, LIVE `vifvec.m`: the same terms with the visual noise σ_n² = 0.4
  in place of 1e-10, divided by the same sum for the reference alone (g = 1, σ_v² = 0).
- `vif_p`: LIVE `vifp_mscale.m`, the pixel-domain, scalar, 4-scale variant (Gaussian windows of
  17, 9, 5, 3 taps, σ = taps/5, 'valid' filtering, decimation by 2, σ_n² = 2, log10).
- `ms_ssim`: Wang, Simoncelli & Bovik 2003, the authors' `msssim.m`: SSIM of 11×11 Gaussian
  (σ 1.5) windows, 'valid'; contrast-structure means at scales 1–4 and the SSIM mean at scale 5,
  weighted (0.0448, 0.2856, 0.3001, 0.2363, 0.1333); 2×2 average (symmetric edge) and decimation
  between scales. Needs min(H, W) ≥ 176.

All take one reference and one distorted plane (H, W), float on [0, 255] (constants such as
σ_n² assume that range), already border-cropped, and are pure and jit-able. `size` (h, w), which
may be traced, measures the top-left region of padded buffers instead, so that one compiled
function serves every image of a size bucket (the pattern of image_quality): compiling IFC takes
seconds to tens of seconds on a CPU, per buffer shape. Arithmetic is in the inputs' float type,
at least float32: in float64 (`jax.enable_x64`) the results equal transcriptions of the MATLAB
code to ~1e-13; float32, what accelerators run, to ~2e-5 relative on 8-bit images.

`scores` measures 8-bit SR against HR as image_quality's PSNR-Y/SSIM-Y protocol does: Y of
BT.601, `scale` pixels cropped. `round_y` rounds Y to integers, as the MATLAB code behind the
published IFC tables did (rgb2ycbcr of uint8 images, SelfExSR's compute_difference.m): IFC is
sensitive to such quantisation (unrounded Y gives bicubic ×2 about 5 % more), so compare with
those tables only with round_y=True and LR/SR made as theirs were (see tests/metrics).
"""
import dataclasses
import functools
from typing import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from sr_jax.metrics import image_quality, steerable_pyramid
from sr_jax.ops import conv, imresize

# ifcvec.m / vifvec.m: subbands = [4 7 10 13 16 19 22 25] of ind2wtree's numbering, which counts
# from the low-pass residual (1) up to the high-pass residual (26), six orientations a level:
# orientations 1 and 4 (0° and 90°) of every level.
PYRAMID_HEIGHT = 4
ORIENTATIONS = (0, 3)
GSM_BLOCK = 3  # M: the GSM vectors are M×M neighbourhoods
GSM_TOL = 1e-15  # vifsub_est_M's tolerance for zero variance
IFC_EPS = 1e-10
VIF_SIGMA_NSQ = 0.4
VIFP_SIGMA_NSQ = 2.0
VIFP_EPS = 1e-10
MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
MIN_SIZE = {
    "ifc": steerable_pyramid.min_side(PYRAMID_HEIGHT),  # 72: buildSpyr's height limit
    "vif": steerable_pyramid.min_side(PYRAMID_HEIGHT),
    "vif_p": 41,  # vifp_mscale's 4th scale keeps ≥ 1 pixel
    "ms_ssim": image_quality.SSIM_WINDOW * 2 ** (len(MS_SSIM_WEIGHTS) - 1),  # 176, msssim.m's
}


def _prepare(ref, dist, size, metric: str):
  """Float planes and their true (h, w): the whole planes by default (checked against the
  metric's minimum), else a given, possibly traced, size inside padded buffers."""
  ref, dist = jnp.asarray(ref), jnp.asarray(dist)
  if ref.shape != dist.shape:
    raise ValueError(f"reference {ref.shape} and distorted {dist.shape} differ in shape")
  dtype = jnp.promote_types(jnp.promote_types(ref.dtype, dist.dtype), jnp.float32)
  if size is None:
    size = ref.shape
    if min(size) < MIN_SIZE[metric]:
      raise ValueError(f"{metric} needs both sides ≥ {MIN_SIZE[metric]}, got {size}")
  return ref.astype(dtype), dist.astype(dtype), size


def _too_small(size, metric: str):
  return jnp.minimum(size[0], size[1]) < MIN_SIZE[metric]


def _valid_mask(shape, rows, cols, start: int = 0) -> jnp.ndarray:
  """(…shape) mask of start ≤ row < rows and start ≤ col < cols (bounds may be traced)."""
  r = jnp.arange(shape[-2])[:, None]
  c = jnp.arange(shape[-1])[None, :]
  return (r >= start) & (r < rows) & (c >= start) & (c < cols)


def _pad_to_multiple(x: jnp.ndarray, m: int) -> jnp.ndarray:
  h, w = x.shape[-2:]
  return jnp.pad(x, [(0, 0)] * (x.ndim - 2) + [(0, -h % m), (0, -w % m)])


def _strided_sums(x: jnp.ndarray, window: int, axis: int) -> jnp.ndarray:
  """Sums of `window` consecutive entries along axis −2 or −1, every M-th: a sum of strided
  slices, which XLA fuses into one loop (its CPU convolution is far slower for one channel)."""
  n = (x.shape[axis] - window) // GSM_BLOCK + 1
  total = None
  for t in range(window):
    index = [slice(None)] * x.ndim
    index[axis] = slice(t, t + GSM_BLOCK * (n - 1) + 1, GSM_BLOCK)
    total = x[tuple(index)] if total is None else total + x[tuple(index)]
  return total


def _block_sums(planes: jnp.ndarray, window: int, size) -> jnp.ndarray:
  """Sums of (…, H, W) planes over window×window boxes centred on the centre pixel of each
  M×M block, `reflect1` edges about the (h, w) = size region (multiples of M):
  matlabPyrTools `corrDn(x, ones(window), 'reflect1', [M M], [2 2], size − 1)` → (…, H/M, W/M).
  """
  x = steerable_pyramid.pad_reflect(planes, window // 2, size)
  x = x[..., GSM_BLOCK // 2:, GSM_BLOCK // 2:]  # the first window centre: the first block's
  return _strided_sums(_strided_sums(x, window, -2), window, -1)


def _distortion_channel(ref: jnp.ndarray, dist: jnp.ndarray, window: int, size):
  """vifsub_est_M (= distsub_est_M) for (K, H, W) sub-bands: per M×M block, the gain g and the
  noise variance σ_v² of dist = g·ref + v fitted by least squares over the block's window, with
  the release's clamps in its order. → (g, σ_v²), each (K, H/M, W/M)."""
  n = window * window
  s_x, s_y, s_xy, s_xx, s_yy = _block_sums(
      jnp.stack([ref, dist, ref * dist, ref * ref, dist * dist]), window, size)
  mean_x, mean_y = s_x / n, s_y / n
  cov_xy = s_xy - n * mean_x * mean_y
  ss_x = jnp.maximum(s_xx - n * mean_x**2, 0.0)
  ss_y = jnp.maximum(s_yy - n * mean_y**2, 0.0)
  g = cov_xy / (ss_x + GSM_TOL)
  vv = (ss_y - g * cov_xy) / n
  flat_ref = ss_x < GSM_TOL
  g = jnp.where(flat_ref, 0.0, g)
  vv = jnp.where(flat_ref, ss_y, vv)  # (the release assigns the undivided ss_y here)
  flat_dist = ss_y < GSM_TOL
  g = jnp.where(flat_dist, 0.0, g)
  vv = jnp.where(flat_dist, 0.0, vv)
  negative = g < 0
  vv = jnp.where(negative, ss_y, vv)
  g = jnp.where(negative, 0.0, g)
  vv = jnp.where(vv <= GSM_TOL, GSM_TOL, vv)
  return g, vv


def _neighbourhood_covariance(y: jnp.ndarray, size) -> jnp.ndarray:
  """refparams_vecgsm's C_u: covariance (population) of all overlapping M×M neighbourhoods of
  the (h, w) = size region of (K, H, W) sub-bands, as M²-vectors in row-major order. → (K, M², M²).
  """
  m = GSM_BLOCK
  h, w = y.shape[-2:]
  vectors = jnp.stack([y[:, a:h - m + 1 + a, b:w - m + 1 + b] for a in range(m) for b in range(m)])
  mask = _valid_mask(vectors.shape, size[0] - m + 1, size[1] - m + 1)
  count = (size[0] - m + 1) * (size[1] - m + 1)
  mean = jnp.sum(jnp.where(mask, vectors, 0.0), axis=(-2, -1), keepdims=True) / count
  centred = jnp.where(mask, vectors - mean, 0.0)
  return jnp.einsum("ikhw,jkhw->kij", centred, centred,
                    precision=jax.lax.Precision.HIGHEST) / count


def _blocks(y: jnp.ndarray) -> jnp.ndarray:
  """Non-overlapping M×M blocks of (K, H, W) as (K, H/M, W/M, M²), the covariance's order."""
  k, h, w = y.shape
  m = GSM_BLOCK
  return y.reshape(k, h // m, m, w // m, m).transpose(0, 1, 3, 2, 4).reshape(k, h // m, w // m,
                                                                              m * m)


def _gsm_information(ref, dist, size) -> tuple[jnp.ndarray, jnp.ndarray, jnp.ndarray]:
  """Σ log2(1 + g²·s²·λ_j / (σ_v² + ε)) over the interior blocks, eigenvalues and used sub-bands,
  for ε = IFC's 1e-10, ε = VIF's σ_n², and VIF's denominator (g = 1, σ_v² = 0)."""
  pyramid = steerable_pyramid.build(jnp.stack([ref, dist]), PYRAMID_HEIGHT, size, ORIENTATIONS)
  levels = []
  for level in range(PYRAMID_HEIGHT):
    y, yn = _pad_to_multiple(pyramid["bands"][level], GSM_BLOCK)
    n, m = pyramid["sizes"][level]
    cropped = ((n // GSM_BLOCK) * GSM_BLOCK, (m // GSM_BLOCK) * GSM_BLOCK)
    window = 2 ** (PYRAMID_HEIGHT - level) + 1  # ifcvec: 2^lev + 1, lev = ceil((sub − 1)/6)
    g, vv = _distortion_channel(y, yn, window, cropped)
    offset = -(-(window // 2) // GSM_BLOCK)  # ceil(((winsize − 1)/2) / M): border blocks dropped
    interior = _valid_mask(g.shape, cropped[0] // GSM_BLOCK - offset,
                           cropped[1] // GSM_BLOCK - offset, offset)
    levels.append((g, vv, _blocks(y), interior, _neighbourhood_covariance(y, cropped)))
  # One eigendecomposition for all sub-bands; s² = uᵀ C_u⁻¹ u / M² = Σ_j (v_jᵀ u)² / λ_j / M².
  lam, vecs = jnp.linalg.eigh(jnp.concatenate([c for *_, c in levels]))
  k = len(ORIENTATIONS)
  sums = [0.0, 0.0, 0.0]
  for i, (g, vv, blocks, interior, _) in enumerate(levels):
    lam_l, vecs_l = lam[i * k:(i + 1) * k], vecs[i * k:(i + 1) * k]
    proj = jnp.einsum("khwi,kij->khwj", blocks, vecs_l, precision=jax.lax.Precision.HIGHEST)
    s2 = jnp.sum(proj**2 / lam_l[:, None, None, :], axis=-1) / GSM_BLOCK**2
    signal = (s2[..., None] * lam_l[:, None, None, :])  # s²·λ_j, (K, H/M, W/M, M²)
    gain2 = (g * g)[..., None]
    for j, (gain, noise) in enumerate(((gain2, vv[..., None] + IFC_EPS),
                                       (gain2, vv[..., None] + VIF_SIGMA_NSQ),
                                       (1.0, VIF_SIGMA_NSQ))):
      terms = jnp.log2(1.0 + gain * signal / noise)
      sums[j] = sums[j] + jnp.sum(jnp.where(interior[..., None], terms, 0.0))
  return tuple(sums)


def ifc(ref: jnp.ndarray, dist: jnp.ndarray, size=None) -> jnp.ndarray:
  """Information fidelity criterion of `dist` against `ref` (LIVE ifcvec.m), bits per pixel.

  size: the true (h, w) inside padded (H, W) buffers (may be traced); default the whole planes.
  """
  ref, dist, size = _prepare(ref, dist, size, "ifc")
  total, _, _ = _gsm_information(ref, dist, size)
  value = total / (size[0] * size[1])
  return jnp.where(_too_small(size, "ifc"), jnp.nan, value)


def vif(ref: jnp.ndarray, dist: jnp.ndarray, size=None) -> jnp.ndarray:
  """Visual information fidelity, wavelet domain (LIVE vifvec.m); 1 for dist = ref."""
  ref, dist, size = _prepare(ref, dist, size, "vif")
  _, num, den = _gsm_information(ref, dist, size)
  return jnp.where(_too_small(size, "vif"), jnp.nan, num / den)


def ifc_and_vif(ref: jnp.ndarray, dist: jnp.ndarray, size=None):
  """(IFC, VIF) from one shared decomposition."""
  ref, dist, size = _prepare(ref, dist, size, "ifc")
  total, num, den = _gsm_information(ref, dist, size)
  small = _too_small(size, "ifc")
  return (jnp.where(small, jnp.nan, total / (size[0] * size[1])),
          jnp.where(small, jnp.nan, num / den))


def _filter_valid(x: jnp.ndarray, g: np.ndarray) -> jnp.ndarray:
  """MATLAB filter2(g gᵀ, x, 'valid') of (…, H, W) planes with a symmetric 1-D window g."""
  return conv.separable_valid(x, g)


def _masked_mean(x, mask):
  return jnp.sum(jnp.where(mask, x, 0.0)) / jnp.sum(mask)


def _local_moments(ref, dist, g, size):
  """Windowed ('valid') σ_ref², σ_dist², σ_ref,dist and means of the (h, w) = size regions,
  and the mask of valid outputs. The planes are centred on the reference's mean first:
  (co)variances are shift-invariant, and centring keeps float32's cancellation small."""
  shift = _masked_mean(ref, _valid_mask(ref.shape, *size))
  a, b = ref - shift, dist - shift
  mu_a, mu_b, e_aa, e_bb, e_ab = _filter_valid(jnp.stack([a, b, a * a, b * b, a * b]), g)
  k = g.shape[0]
  mask = _valid_mask(mu_a.shape, size[0] - k + 1, size[1] - k + 1)
  return (e_aa - mu_a**2, e_bb - mu_b**2, e_ab - mu_a * mu_b, mu_a + shift, mu_b + shift, mask)


def vif_p(ref: jnp.ndarray, dist: jnp.ndarray, size=None) -> jnp.ndarray:
  """Pixel-domain multi-scale VIF (LIVE vifp_mscale.m); 1 for dist = ref."""
  ref, dist, size0 = _prepare(ref, dist, size, "vif_p")
  size = size0
  num = den = 0.0
  for scale in range(1, 5):
    taps = 2 ** (4 - scale + 1) + 1
    g = image_quality.gaussian_window_1d(taps, taps / 5)
    if scale > 1:
      ref, dist = _filter_valid(jnp.stack([ref, dist]), g)[:, ::2, ::2]
      size = ((size[0] - taps + 2) // 2, (size[1] - taps + 2) // 2)  # ceil((n − taps + 1)/2)
    var_ref, var_dist, cov, _, _, mask = _local_moments(ref, dist, g, size)
    var_ref = jnp.maximum(var_ref, 0.0)
    var_dist = jnp.maximum(var_dist, 0.0)
    gain = cov / (var_ref + VIFP_EPS)
    sv_sq = var_dist - gain * cov
    flat_ref = var_ref < VIFP_EPS
    gain = jnp.where(flat_ref, 0.0, gain)
    sv_sq = jnp.where(flat_ref, var_dist, sv_sq)
    var_ref = jnp.where(flat_ref, 0.0, var_ref)
    flat_dist = var_dist < VIFP_EPS
    gain = jnp.where(flat_dist, 0.0, gain)
    sv_sq = jnp.where(flat_dist, 0.0, sv_sq)
    negative = gain < 0
    sv_sq = jnp.where(negative, var_dist, sv_sq)
    gain = jnp.where(negative, 0.0, gain)
    sv_sq = jnp.maximum(sv_sq, VIFP_EPS)
    num = num + jnp.sum(jnp.where(mask, jnp.log10(1.0 + gain**2 * var_ref
                                                  / (sv_sq + VIFP_SIGMA_NSQ)), 0.0))
    den = den + jnp.sum(jnp.where(mask, jnp.log10(1.0 + var_ref / VIFP_SIGMA_NSQ), 0.0))
  return jnp.where(_too_small(size0, "vif_p"), jnp.nan, num / den)


def _ssim_and_cs(a: jnp.ndarray, b: jnp.ndarray, size):
  """ssim_index_new's mean SSIM and mean contrast-structure term (L = 255, K = (0.01, 0.03))."""
  var_a, var_b, cov, mu_a, mu_b, mask = _local_moments(a, b, image_quality.gaussian_window_1d(),
                                                       size)
  c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
  cs = (2 * cov + c2) / (var_a + var_b + c2)
  ssim = (2 * mu_a * mu_b + c1) / (mu_a**2 + mu_b**2 + c1) * cs
  return _masked_mean(ssim, mask), _masked_mean(cs, mask)


def _average_down2(x: jnp.ndarray, size) -> jnp.ndarray:
  """imfilter(x, ones(2)/4, 'symmetric', 'same') sampled at (1:2:end, 1:2:end) for the (h, w)
  = size region of (…, H, W): means of 2×2 blocks, an odd last row/column paired with itself."""
  h, w = x.shape[-2:]
  rows = jnp.minimum(jnp.arange(h + h % 2), size[0] - 1)
  cols = jnp.minimum(jnp.arange(w + w % 2), size[1] - 1)
  x = jnp.take(jnp.take(x, rows, axis=-2, mode="clip"), cols, axis=-1, mode="clip")
  return x.reshape(*x.shape[:-2], (h + 1) // 2, 2, (w + 1) // 2, 2).mean(axis=(-3, -1))


def ms_ssim(ref: jnp.ndarray, dist: jnp.ndarray, size=None) -> jnp.ndarray:
  """Multi-scale SSIM (Wang et al. 2003, msssim.m); symmetric, 1 for dist = ref. NaN where a
  contrast-structure mean is negative (MATLAB's result is then complex)."""
  ref, dist, size0 = _prepare(ref, dist, size, "ms_ssim")
  size = size0
  means = []
  for level in range(len(MS_SSIM_WEIGHTS)):
    ssim, cs = _ssim_and_cs(ref, dist, size)
    means.append(cs if level < len(MS_SSIM_WEIGHTS) - 1 else ssim)
    ref, dist = _average_down2(jnp.stack([ref, dist]), size)
    size = ((size[0] + 1) // 2, (size[1] + 1) // 2)
  value = jnp.prod(jnp.stack(means) ** jnp.asarray(MS_SSIM_WEIGHTS, ref.dtype))
  return jnp.where(_too_small(size0, "ms_ssim"), jnp.nan, value)


@dataclasses.dataclass(frozen=True)
class Metric:
  fn: Callable[..., jnp.ndarray]  # (reference, distorted, size=None) → scalar
  higher_is_better: bool


METRICS = {
    "ifc": Metric(ifc, True),
    "vif": Metric(vif, True),
    "vif_p": Metric(vif_p, True),
    "ms_ssim": Metric(ms_ssim, True),
}


def _check_names(names: Sequence[str]) -> tuple[str, ...]:
  unknown = [n for n in names if n not in METRICS]
  if unknown:
    raise ValueError(f"unknown fidelity metric(s) {unknown}; known: {', '.join(METRICS)}")
  return tuple(names)


def _planes(ref, dist, size, names: tuple[str, ...]) -> dict[str, jnp.ndarray]:
  out = {}
  if "ifc" in names and "vif" in names:
    out["ifc"], out["vif"] = ifc_and_vif(ref, dist, size)
  for name in names:
    if name not in out:
      out[name] = METRICS[name].fn(ref, dist, size)
  return {name: out[name] for name in names}


@functools.partial(jax.jit, static_argnames=("names",))
def score_planes(ref: jnp.ndarray, dist: jnp.ndarray, sizes: jnp.ndarray,
                 names: tuple[str, ...] = tuple(METRICS)) -> dict[str, jnp.ndarray]:
  """The `names` metrics of a batch of reference and distorted planes (N, H, W) on [0, 255],
  padded to one size, each measured on its true (h, w) = sizes[i] top-left region (NaN where a
  side is below the metric's minimum). One compile per buffer shape. → {name: (N,)}."""
  return jax.vmap(lambda r, d, s: _planes(r, d, (s[0], s[1]), names))(ref, dist, sizes)


def y_plane(img: np.ndarray, round_y: bool = False) -> np.ndarray:
  """Y on [16, 235] of an 8-bit (H, W, 3) RGB image by image_quality's BT.601 conversion, in
  float (`round_y`: rounded to integers, as MATLAB's rgb2ycbcr of a uint8 image returns it);
  (H, W) or (H, W, 1) images already are Y."""
  img = np.asarray(img)
  if img.ndim == 3 and img.shape[-1] == 3:
    y = np.asarray(image_quality.rgb_to_y(jnp.asarray(img, jnp.float32)))
    return imresize.to_uint8(y).astype(np.float32) if round_y else y
  return np.asarray(img.reshape(img.shape[:2]), np.float32)


def scores(sr: np.ndarray, hr: np.ndarray, scale: int, names: Sequence[str] = tuple(METRICS),
           round_y: bool = False, bucket: int = 96) -> dict[str, float]:
  """The `names` metrics of an 8-bit SR image against its HR image (the reference), on Y with
  `scale` pixels cropped from every border: the PSNR-Y/SSIM-Y protocol of image_quality.

  round_y: measure integer Y, as the SelfExSR/VDSR-era MATLAB code (rgb2ycbcr of uint8 images)
  did for its IFC tables. The planes go to `score_planes` transposed to landscape (every metric
  here is invariant to transposition) and zero-padded to multiples of `bucket`, so images of
  nearby sizes share one compiled function.
  """
  names = _check_names(names)
  if np.shape(sr) != np.shape(hr):
    raise ValueError(f"SR {np.shape(sr)} and HR {np.shape(hr)} differ in shape")
  crop = (slice(scale, -scale), slice(scale, -scale)) if scale else (slice(None),) * 2
  ref, dist = y_plane(hr, round_y)[crop], y_plane(sr, round_y)[crop]
  if ref.shape[0] > ref.shape[1]:
    ref, dist = ref.T, dist.T
  h, w = ref.shape
  for name in names:
    if min(h, w) < MIN_SIZE[name]:
      raise ValueError(f"{name} needs both sides ≥ {MIN_SIZE[name]} after the crop, got {(h, w)}")
  padding = ((0, -h % bucket), (0, -w % bucket))
  out = score_planes(jnp.asarray(np.pad(ref, padding))[None],
                     jnp.asarray(np.pad(dist, padding))[None], jnp.array([[h, w]], jnp.int32), names)
  return {k: float(v[0]) for k, v in out.items()}
