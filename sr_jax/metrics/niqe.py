"""NIQE (Mittal et al. 2013), following the authors' MATLAB release as BasicSR ports it.

No-reference: the image's natural-scene statistics are fitted per 96×96 block at two scales
(the second by MATLAB bicubic ×0.5), and NIQE is the distance between their multivariate
Gaussian and the pristine model (`niqe_pris_params.npz` beside this module: mu_pris_param,
cov_pris_param and the 7×7 Gaussian window, as fitted by the NIQE authors and distributed with
their MATLAB release and BasicSR's `basicsr/metrics/niqe_pris_params.npz`; the values are theirs,
stored as float64 arrays of a compressed npz). Lower is better. Input: Y of BT.601 on [16, 235] from 8-bit RGB, rounded
to integers as the MATLAB code sees it. NumPy, once per whole image.

CLI: python -m sr_jax.metrics.niqe IMG [--crop_border=N] [--params=NPZ]
"""
import argparse
import os
import pathlib
import sys

import numpy as np
from scipy import ndimage, special

from sr_jax.ops import color
from sr_jax.ops.imresize import imresize

BLOCK = 96
_Y_WEIGHTS = np.array(color.Y_WEIGHTS) / 255.0
# Shape grid of the MATLAB code's generalised-Gaussian moment-ratio table.
_GAM = np.arange(0.2, 10.001, 0.001)
_R_GAM = special.gamma(2 / _GAM) ** 2 / (special.gamma(1 / _GAM) * special.gamma(3 / _GAM))
_SHIFTS = ((0, 1), (1, 0), (1, 1), (1, -1))


def default_params_path() -> pathlib.Path:
  """$SR_JAX_NIQE_PARAMS, else the parameters that ship with sr_jax."""
  return pathlib.Path(os.environ.get("SR_JAX_NIQE_PARAMS",
                                     pathlib.Path(__file__).with_name("niqe_pris_params.npz")))


def load_params(path: str | os.PathLike | None = None) -> dict[str, np.ndarray]:
  path = pathlib.Path(path) if path is not None else default_params_path()
  if not path.exists():
    raise FileNotFoundError(f"NIQE model parameters not found at {path} "
                            "(pass a path or set SR_JAX_NIQE_PARAMS)")
  with np.load(path) as data:
    return {k: np.asarray(data[k], np.float64)
            for k in ("mu_pris_param", "cov_pris_param", "gaussian_window")}


def aggd_fit(x: np.ndarray) -> tuple[float, float, float]:
  """Asymmetric generalised Gaussian (shape α, left/right scales) by moment matching."""
  x = x.ravel()
  with np.errstate(invalid="ignore", divide="ignore"):
    left_std = np.sqrt(np.mean(x[x < 0] ** 2)) if np.any(x < 0) else np.nan
    right_std = np.sqrt(np.mean(x[x > 0] ** 2)) if np.any(x > 0) else np.nan
    gammahat = left_std / right_std
    rhat = np.mean(np.abs(x)) ** 2 / np.mean(x**2)
    rhatnorm = rhat * (gammahat**3 + 1) * (gammahat + 1) / (gammahat**2 + 1) ** 2
  alpha = _GAM[np.argmin((_R_GAM - rhatnorm) ** 2)]
  ratio = np.sqrt(special.gamma(1 / alpha) / special.gamma(3 / alpha))
  return alpha, left_std * ratio, right_std * ratio


def block_features(block: np.ndarray) -> list[float]:
  """18 features: GGD of the MSCN block, AGGD of its 4 neighbour products (circular shifts)."""
  alpha, beta_l, beta_r = aggd_fit(block)
  feat = [alpha, (beta_l + beta_r) / 2]
  for shift in _SHIFTS:
    alpha, beta_l, beta_r = aggd_fit(block * np.roll(block, shift, axis=(0, 1)))
    mean = (beta_r - beta_l) * special.gamma(2 / alpha) / special.gamma(1 / alpha)
    feat += [alpha, mean, beta_l, beta_r]
  return feat


def niqe(y: np.ndarray, params: dict[str, np.ndarray], block: int = BLOCK) -> float:
  """NIQE of a single-channel image on 0..255 (float); cropped to whole blocks first."""
  rows, cols = y.shape[0] // block, y.shape[1] // block
  img = np.asarray(y, np.float64)[:rows * block, :cols * block]
  window = params["gaussian_window"]
  scales = []
  for scale in (1, 2):
    mu = ndimage.correlate(img, window, mode="nearest")
    sigma = np.sqrt(np.abs(ndimage.correlate(img**2, window, mode="nearest") - mu**2))
    mscn = (img - mu) / (sigma + 1)
    size = block // scale
    scales.append(np.array([block_features(mscn[r * size:(r + 1) * size, c * size:(c + 1) * size])
                            for c in range(cols) for r in range(rows)]))
    if scale == 1:
      img = imresize(img, 0.5)
  feats = np.concatenate(scales, axis=1)
  # MATLAB's nanmean and nancov (rows with any NaN dropped).
  mu_dist = np.nanmean(feats, axis=0)
  cov_dist = np.cov(feats[~np.isnan(feats).any(axis=1)], rowvar=False)
  diff = params["mu_pris_param"].ravel() - mu_dist
  inv = np.linalg.pinv((params["cov_pris_param"] + cov_dist) / 2)
  return float(np.sqrt(diff @ inv @ diff))


def rgb_to_y_u8(img: np.ndarray) -> np.ndarray:
  """Integer-rounded BT.601 Y on [16, 235] from 8-bit RGB (or a grey plane, returned as is)."""
  img = np.asarray(img, np.float64)
  if img.ndim == 2:
    return np.round(img)
  return np.round(16.0 + img[..., :3] @ _Y_WEIGHTS)


def calculate_niqe(img: np.ndarray, crop_border: int = 0,
                   params: dict[str, np.ndarray] | None = None) -> float:
  """NIQE of an 8-bit RGB (H, W, 3) image on its Y channel, `crop_border` pixels cut per side."""
  y = rgb_to_y_u8(img)
  if crop_border:
    y = y[crop_border:-crop_border, crop_border:-crop_border]
  return niqe(y, params if params is not None else load_params())


def main(argv=None):
  parser = argparse.ArgumentParser(description="NIQE of an image (Y channel; lower is better).")
  parser.add_argument("image")
  parser.add_argument("--crop_border", type=int, default=0)
  parser.add_argument("--params", default=None, help="niqe_pris_params.npz")
  args = parser.parse_args(argv)
  from sr_jax.data import images  # pylint: disable=g-import-not-at-top
  try:
    img = images.load_image(args.image)
  except images.DataError as e:
    sys.exit(f"error: {e}")
  print(f"{calculate_niqe(img, args.crop_border, load_params(args.params)):.4f}")


if __name__ == "__main__":
  main()
