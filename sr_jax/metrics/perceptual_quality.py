"""NIQE and LPIPS beside PSNR/SSIM: the perception side of the perception–distortion trade-off.

Both run on the host, once per whole SR image (8-bit, as the distortion metrics see it), with
`scale` pixels cropped from each border as for PSNR (BasicSR's NIQE uses crop_border = scale).
NIQE is no-reference (lower is more natural); LPIPS compares with HR (lower is closer).
"""
import numpy as np

from sr_jax.metrics import lpips as lpips_lib, niqe as niqe_lib


def _crop(img: np.ndarray, border: int) -> np.ndarray:
  return img[border:-border, border:-border] if border else img


def niqe_of(sr: np.ndarray, scale: int, params) -> float:
  return niqe_lib.calculate_niqe(sr, crop_border=scale, params=params)


def lpips_of(sr: np.ndarray, hr: np.ndarray, scale: int, model, variables) -> float:
  unit = lambda x: _crop(np.asarray(x, np.float32), scale)[None] / 255.0
  return float(model.apply(variables, unit(sr), unit(hr))[0])


def add_scores(result: dict, samples, srs: dict, scale: int, niqe_params=None,
               lpips_net=None) -> dict:
  """Adds 'niqe' and/or 'lpips' to each image row and the mean of one set's `result`.

  srs: name → SR uint8 of every sample; lpips_net: (module, variables) from lpips.load_lpips.
  """
  if niqe_params is None and lpips_net is None:
    return result
  by_name = {s.name: s for s in samples}
  for row in result["images"]:
    sr, sample = srs[row["name"]], by_name[row["name"]]
    if niqe_params is not None:
      row["niqe"] = niqe_of(sr, scale, niqe_params)
    if lpips_net is not None:
      row["lpips"] = lpips_of(sr, sample.hr, scale, *lpips_net)
  for key in ("niqe", "lpips"):
    if key in result["images"][0]:
      result["mean"][key] = float(np.mean([row[key] for row in result["images"]]))
  return result


def load(niqe: bool, niqe_params_path=None, lpips_net_name: str | None = None):
  """(NIQE params or None, (LPIPS module, variables) or None); a missing file raises
  FileNotFoundError with one line naming it and how to make it."""
  params = niqe_lib.load_params(niqe_params_path) if niqe else None
  net = lpips_lib.load_lpips(lpips_net_name) if lpips_net_name else None
  return params, net
