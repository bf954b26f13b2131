"""Pretrained weights by file or by release name: read, recognise, convert once, load.

  python -m sr_jax.upscale --weights=RealESRGAN_x4plus.pth --input=photo.png --output=out/
  python -m sr_jax.upscale --model=RealESRGAN_x4plus --input=photo.png --output=out/
  python -m sr_jax.upscale --list_models

A state_dict file — .pth (read with torch), .safetensors or .npz; bare, or wrapped in BasicSR's
{'params_ema': …} / {'params': …} (the EMA when both are there); keys with or without DataParallel's
'module.' — is recognised from its keys and shapes alone: each architecture's detector below reads
its hyper-parameters (family, blocks, features, growth, scale, channels, upsampler, ...), and the
conversion (sr_jax.convert) must then place every key. The converted weights are written once
per file, keyed by its sha256, as a run directory (config + Orbax checkpoint + model_card.json) in
$SR_JAX_CACHE/weights/<sha256>/, which every tool then loads like a training run. A layout that no
architecture explains fails with one line naming the closest one and the keys it could not place.

`--model=NAME` names an official release (sr_jax.pretrained_catalog): downloaded once into
$SR_JAX_CACHE/releases/ through sr_jax.download (progress bar, resumable, atomic), checked against
the publisher's digest where there is one, else against the sha256 recorded at its first download.
"""
import datetime
import os
import pathlib
import re
import shutil
from typing import Any, Callable

import numpy as np
import safetensors.numpy

from sr_jax import config as config_lib
from sr_jax import convert, download, extras, models, pretrained_catalog
from sr_jax.train import checkpoint

_WRAPPERS = ("params_ema", "params", "state_dict", "model")


class WeightsError(ValueError):
  """Weights that cannot be read, recognised or fetched; the message says which and why."""


def cache_dir() -> pathlib.Path:
  return pathlib.Path(os.environ.get("SR_JAX_CACHE", "~/.cache/sr_jax")).expanduser()


# Reading ------------------------------------------------------------------------------------------


def read_state_dict(path: str | os.PathLike, key: str = "") -> dict[str, np.ndarray]:
  """The float32 NumPy state_dict in a .pth, .safetensors or .npz file; `key` (or else the first
  of params_ema, params, state_dict, model present) unwraps a wrapped one; 'module.' prefixes go."""
  path = pathlib.Path(path)
  if not path.is_file():
    raise FileNotFoundError(f"{path}: no such weights file")
  if path.suffix == ".npz":
    with np.load(path) as data:
      raw = {k: data[k] for k in data.files}
  elif path.suffix == ".safetensors":
    raw = safetensors.numpy.load_file(str(path))
  else:
    torch = extras.require("torch", "torch", f"reading {path} (a PyTorch pickle)")
    try:
      raw = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as e:  # pickles of arbitrary objects, truncated files, not a .pth at all
      raise WeightsError(f"{path}: not a PyTorch state_dict torch can read safely ({e})") from None
  if not isinstance(raw, dict):
    raise WeightsError(f"{path}: holds a {type(raw).__name__}, not a state_dict")
  for wrapper in ((key,) if key else ()) + _WRAPPERS:
    if isinstance(raw.get(wrapper), dict):
      raw = raw[wrapper]
      break
  out = {}
  for k, v in raw.items():
    if hasattr(v, "detach"):  # a torch tensor
      v = v.detach().float().numpy()
    if isinstance(v, np.ndarray) and v.dtype.kind in "fiub":
      out[k.removeprefix("module.")] = np.asarray(v, np.float32)
  if not out:
    raise WeightsError(f"{path}: no tensors in it")
  return out


# Recognising ---------------------------------------------------------------------------------------

Shapes = dict[str, tuple[int, ...]]


def _indices(shapes: Shapes, pattern: str) -> list[int]:
  """The sorted distinct integers of group 1 of `pattern` over the keys that fully match it."""
  return sorted({int(m.group(1)) for k in shapes if (m := re.fullmatch(pattern, k))})


def _first(shapes: Shapes, *keys: str) -> tuple[int, ...] | None:
  return next((shapes[k] for k in keys if k in shapes), None)


def _factors(outs: list[int], width: int) -> list[int] | None:
  """Sub-pixel stage factors from their convs' output channels (4·width: ×2, 9·width: ×3)."""
  factors = [{4 * width: 2, 9 * width: 3}.get(o) for o in outs]
  return None if None in factors or not factors else factors


def _prod(values) -> int:
  return int(np.prod(values))


def _edsr(s: Shapes):
  head = _first(s, "head.0.weight", "conv_first.weight")
  blocks = _indices(s, r"body\.(\d+)\.body\.0\.weight") or _indices(s, r"body\.(\d+)\.conv1\.weight")
  if head is None or not blocks or not ({"tail.1.weight", "conv_after_body.weight"} & set(s)):
    return None
  features, channels = head[0], head[1]
  ups = (_indices(s, r"tail\.0\.(\d+)\.weight") and
         [s[f"tail.0.{i}.weight"][0] for i in _indices(s, r"tail\.0\.(\d+)\.weight")]) or [
             s[f"upsample.{i}.weight"][0] for i in _indices(s, r"upsample\.(\d+)\.weight")]
  factors = _factors(ups, features)
  if factors is None:
    return None
  # EDSR's residual scaling is not in its weights: the paper's convention, 0.1 for the 256-wide
  # model (EDSR-PyTorch's --res_scale for EDSR; BasicSR's EDSR_L), 1 for the baseline.
  return {"name": "edsr", "scale": _prod(factors), "channels": channels,
          "num_blocks": len(blocks), "features": features,
          "res_scale": 0.1 if features >= 256 else 1.0, "img_range": 255.0}


def _rcan(s: Shapes):
  # RCAN-PyTorch (head.0, body.G.body.B.body.3.conv_du.0, tail.0.*) or BasicSR (conv_first,
  # body.G.residual_group.B.rcab.3.attention.1, upsample.*).
  if _indices(s, r"body\.(\d+)\.body\.\d+\.body\.3\.conv_du\.0\.weight"):
    head_key, group, rcab, attention, up = ("head.0.weight", "body", "body",
                                            "body.3.conv_du.0", "tail.0")
  elif _indices(s, r"body\.(\d+)\.residual_group\.\d+\.rcab\.3\.attention\.1\.weight"):
    head_key, group, rcab, attention, up = ("conv_first.weight", "residual_group", "rcab",
                                            "rcab.3.attention.1", "upsample")
  else:
    return None
  if head_key not in s:
    return None
  head = s[head_key]
  groups = _indices(s, rf"body\.(\d+)\.{group}\.0\.{rcab}\.0\.weight")
  blocks = _indices(s, rf"body\.0\.{group}\.(\d+)\.{rcab}\.0\.weight")
  squeeze = s[f"body.0.{group}.0.{attention}.weight"][0]
  ups = _indices(s, rf"{re.escape(up)}\.(\d+)\.weight")
  factors = _factors([s[f"{up}.{i}.weight"][0] for i in ups], head[0])
  if factors is None:
    return None
  return {"name": "rcan", "scale": _prod(factors), "channels": head[1],
          "num_groups": len(groups), "num_blocks": len(blocks), "features": head[0],
          "reduction": head[0] // squeeze, "img_range": 255.0}


def _rrdbnet(s: Shapes):
  first = _first(s, "conv_first.weight", "model.0.weight")
  blocks = (_indices(s, r"(?:body|RRDB_trunk|model\.1\.sub)\.(\d+)\.(?:rdb|RDB)1\.conv1(?:\.0)?"
                        r"\.weight"))
  if first is None or not blocks:
    return None
  prefix = next(p for p in ("body", "RRDB_trunk", "model.1.sub")
                if any(k.startswith(f"{p}.0.") for k in s))
  growth = _first(s, f"{prefix}.0.rdb1.conv1.weight", f"{prefix}.0.RDB1.conv1.weight",
                  f"{prefix}.0.RDB1.conv1.0.weight")[0]
  last = _first(s, "conv_last.weight", "model.10.weight")
  stages = sum(k in s for k in ("conv_up1.weight", "upconv1.weight", "model.3.weight")) + sum(
      k in s for k in ("conv_up2.weight", "upconv2.weight", "model.6.weight"))
  channels, unshuffle = last[0], first[1] // last[0]
  if unshuffle not in (1, 4, 16) or (unshuffle > 1 and stages != 2):
    return None
  scale = 2 ** stages // int(np.sqrt(unshuffle))
  return {"name": "rrdbnet", "scale": scale, "channels": channels, "num_blocks": len(blocks),
          "features": first[0], "growth": growth, "pixel_unshuffle": unshuffle > 1}


def _msrresnet(s: Shapes):
  if "upconv1.weight" not in s or "conv_first.weight" not in s:
    return None
  first = s["conv_first.weight"]
  ups = [s[f"upconv{i}.weight"][0] for i in (1, 2) if f"upconv{i}.weight" in s]
  factors = _factors(ups, first[0])
  if factors is None:
    return None
  return {"name": "msrresnet", "scale": _prod(factors), "channels": first[1],
          "num_blocks": len(_indices(s, r"(?:body|recon_trunk)\.(\d+)\.conv1\.weight")),
          "features": first[0]}


def _swinir(s: Shapes):
  tables = {(int(m[1]), int(m[2])): s[k] for k in s if (m := re.fullmatch(
      r"layers\.(\d+)\.residual_group\.blocks\.(\d+)\.attn\.relative_position_bias_table", k))}
  if not tables or "conv_first.weight" not in s:
    return None
  layers = sorted({layer for layer, _ in tables})
  depths = tuple(sum(1 for l, _ in tables if l == layer) for layer in layers)
  heads = tuple(tables[(layer, 0)][1] for layer in layers)
  window = (int(np.sqrt(tables[(0, 0)][0])) + 1) // 2
  first = s["conv_first.weight"]
  dim, channels = first[0], first[1]
  mlp = s["layers.0.residual_group.blocks.0.mlp.fc1.weight"][0] / dim
  hp = {"name": "swinir", "channels": channels, "embed_dim": dim, "depths": depths,
        "num_heads": heads, "window_size": window, "mlp_ratio": float(mlp), "img_range": 1.0,
        "resi_connection": "3conv" if "conv_after_body.0.weight" in s else "1conv"}
  if "conv_up1.weight" in s:
    return {**hp, "upsampler": "nearest+conv", "scale": 4 if "conv_up2.weight" in s else 2,
            "upsample_features": s["conv_up1.weight"][0]}
  if "conv_before_upsample.0.weight" in s:
    width = s["conv_before_upsample.0.weight"][0]
    factors = _factors([s[f"upsample.{i}.weight"][0]
                        for i in _indices(s, r"upsample\.(\d+)\.weight")], width)
    return factors and {**hp, "upsampler": "pixelshuffle", "scale": _prod(factors),
                        "upsample_features": width}
  if "upsample.0.weight" in s:
    scale = int(round(np.sqrt(s["upsample.0.weight"][0] / channels)))
    return {**hp, "upsampler": "pixelshuffledirect", "scale": scale}
  return None


def _srvgg(s: Shapes):
  convs = _indices(s, r"body\.(\d+)\.weight")
  if not convs or any(not re.fullmatch(r"body\.\d+\.(weight|bias)", k) for k in s):
    return None
  four_d = [i for i in convs if len(s[f"body.{i}.weight"]) == 4]
  first, last = s[f"body.{four_d[0]}.weight"], s[f"body.{four_d[-1]}.weight"]
  channels = first[1]
  scale = int(round(np.sqrt(last[0] / channels)))
  activations = [i for i in convs if len(s[f"body.{i}.weight"]) == 1]
  return {"name": "srvgg_compact", "scale": scale, "channels": channels, "features": first[0],
          "num_conv": len(four_d) - 2, "activation": "prelu" if activations else "relu"}


# Each detector: (shapes of a state_dict, PyTorch layout) → the model's fields, or None when the
# keys are not its architecture's. Ordered so that a more specific one (RCAN before EDSR, MSRResNet
# before EDSR) answers first.
DETECTORS: dict[str, Callable[[Shapes], dict | None]] = {
    "rcan": _rcan, "msrresnet": _msrresnet, "edsr": _edsr, "rrdbnet": _rrdbnet,
    "swinir": _swinir, "srvgg_compact": _srvgg,
}


def recognise(state_dict: dict[str, np.ndarray], source: str = "the weights"):
  """(config, Flax params) of the architecture that explains every key of `state_dict`; a
  WeightsError naming the closest architecture and the keys it could not place otherwise."""
  shapes = {k: tuple(v.shape) for k, v in state_dict.items()}
  attempts = []
  for arch, detect in DETECTORS.items():
    fields = detect(shapes)
    if not fields:
      continue
    config = config_for(fields)
    try:
      params = convert.convert_state_dict(
          arch, state_dict, convert.model_template(models.from_config(config)))
    except ValueError as e:  # the detector's guess, placed key by key: what did not fit
      attempts.append((arch, str(e).splitlines()[1:]))
      continue
    return config, params
  if not attempts:  # no detector recognised anything: the layout whose rules place most keys
    attempts = [(arch, [k for k in state_dict if not re.fullmatch(layout.skip, k)
                        and convert.flax_modules(layout, k.rpartition(".")[0], set()) is None])
                for arch, layout in convert.LAYOUTS.items()]
  arch, problems = min(attempts, key=lambda a: len(a[1]))
  if not problems:  # every key has a place in `arch`'s names, but its detector read no model
    raise WeightsError(f"{source}: its {len(state_dict)} keys are named like {arch}'s, but its "
                       f"hyper-parameters could not be read from them; pass the model with "
                       f"python -m sr_jax.convert --config=RECIPE")
  shown = ", ".join(p.strip().split(":")[0] for p in problems[:4])
  raise WeightsError(f"{source}: no architecture sr_jax knows fits its {len(state_dict)} keys; "
                     f"closest: {arch} ({len(problems)} keys do not fit: {shown}"
                     f"{', ...' if len(problems) > 4 else ''})")


def config_for(fields: dict[str, Any]):
  """A run config for a model described by its detected fields."""
  fields = dict(fields)
  config = config_lib.default_config()
  config.model.name = fields.pop("name")
  config.scale = fields.pop("scale")
  config.channels = fields.pop("channels")
  for key, value in fields.items():
    config.model[key] = tuple(value) if isinstance(value, (list, tuple)) else value
  config_lib.validate_model(config)
  return config


# Converting once ------------------------------------------------------------------------------------


def write_run(dst: str | os.PathLike, config, params, card: dict) -> None:
  """A run directory holding only the params: evaluate, upscale, export and init_from load it."""
  ckpt = checkpoint.Checkpointer(str(dst), config)
  ckpt.save(0, {"params": params, "ema_params": None, "model_state": {}}, None, force=True)
  ckpt.close()
  checkpoint.write_card(dst, card)


def converted_run(path: str | os.PathLike, release: pretrained_catalog.Release | None = None,
                  state_dict: dict | None = None, digest: str | None = None) -> pathlib.Path:
  """The cached run of a weights file (converted on first use): $SR_JAX_CACHE/weights/<sha256>."""
  digest = digest or download.sha256_file(path)
  run = cache_dir() / "weights" / digest
  if (run / "checkpoints").is_dir() and checkpoint.card_path(run).exists():
    return run
  if state_dict is None:
    state_dict = read_state_dict(path, release.key if release else "")
  config, params = recognise(state_dict, str(path))
  card = {"source": str(path), "sha256": digest, "architecture": config.model.name,
          "model": dict(config.model), "scale": config.scale, "channels": config.channels,
          "converted": datetime.date.today().isoformat()}
  if release is not None:
    card.update(release=release.name, url=release.url, licence=release.licence,
                citation=release.citation, training_data=release.training_data)
  tmp = run.with_name(f".{digest}.partial-{os.getpid()}")
  write_run(tmp, config, params, card)
  try:
    tmp.rename(run)  # complete or absent: a killed conversion leaves only the hidden folder
  except OSError:  # another process converted the same file first
    shutil.rmtree(tmp, ignore_errors=True)
  return run


# Official releases --------------------------------------------------------------------------------


def release_file(name: str, mirror: str | None = None) -> pathlib.Path:
  """The downloaded file of release `name`, fetched once; its digest checked (the publisher's,
  else the one recorded at the first download)."""
  release = pretrained_catalog.get(name)
  folder = cache_dir() / "releases"
  dest = folder / release.filename
  if not release.url:
    raise WeightsError(f"--model={name}: no direct download ({release.note}); fetch the file by "
                       f"hand and pass --weights=FILE")
  recorded = folder / f"{release.filename}.sha256"
  expected = release.sha256 or (recorded.read_text().strip() if recorded.exists() else "")
  try:
    digest = download.fetch(download.mirrored(release.url, mirror), dest, expected)
  except download.DownloadError as e:
    raise WeightsError(str(e)) from None
  if release.sha256_prefix and not digest.startswith(release.sha256_prefix):
    dest.unlink()
    raise WeightsError(f"{release.url}: sha256 {digest} does not start with the publisher's "
                       f"{release.sha256_prefix}; the file was removed")
  if not recorded.exists():
    recorded.write_text(digest + "\n")
  return dest


def release_run(name: str, denoise_strength: float | None = None,
                mirror: str | None = None) -> pathlib.Path:
  """The cached run of release `name`; with Real-ESRGAN's denoise pairs (realesr-general-x4v3),
  `denoise_strength` s mixes s · the strong file + (1 − s) · the weak one, tensor by tensor."""
  release = pretrained_catalog.get(name)
  pair = pretrained_catalog.DENOISE.get(name)
  if denoise_strength is None or pair is None:
    if denoise_strength is not None:
      raise WeightsError(f"--denoise_strength: {name} has no weak-denoise companion (only "
                         f"{', '.join(pretrained_catalog.DENOISE)})")
    return converted_run(release_file(name, mirror), release)
  if not 0 <= denoise_strength <= 1:
    raise WeightsError(f"--denoise_strength={denoise_strength}: must be in [0, 1]")
  strong, weak = (release_file(n, mirror) for n in (pair.strong, pair.weak))
  a, b = (read_state_dict(p, pair.key) for p in (strong, weak))
  mixed = {k: denoise_strength * a[k] + (1 - denoise_strength) * b[k] for k in a}
  digest = (f"{download.sha256_file(strong)[:24]}-{download.sha256_file(weak)[:24]}"
            f"-dni{denoise_strength:g}")
  return converted_run(strong, release, mixed, digest)


def run_for(source: str, key: str, mirror: str | None = None) -> str:
  """The run directory that `source` (config.KEY) names: a training run's workdir as it is, a
  weights file converted once, or a release name downloaded and converted once. What `init_from`
  and a distillation teacher accept; a source that is none of these, or that does not convert,
  is a ConfigError naming config.KEY."""
  try:
    if checkpoint.checkpoint_dir(source).is_dir():
      return source
    if os.path.isfile(source):
      return str(converted_run(source))
    if source in pretrained_catalog.RELEASES:
      return str(release_run(source, mirror=mirror))
    raise WeightsError(f"{source}: neither a training run, a weights file nor a release name "
                       f"(python -m sr_jax.upscale --list_models)")
  except WeightsError as e:
    raise config_lib.ConfigError(f"config.{key}: {e}") from e


def listing() -> str:
  """The releases --model knows: name, scale, architecture, direct download or not, licence."""
  rows = [(r.name, f"x{r.scale}", r.arch, "yes" if r.url else "by hand", r.licence.split(" (")[0])
          for r in pretrained_catalog.RELEASES.values()]
  widths = [max(len(row[i]) for row in rows + [("model", "scale", "arch", "download", "licence")])
            for i in range(5)]
  fmt = lambda row: "  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip()
  return "\n".join([fmt(("model", "scale", "arch", "download", "licence"))] + [fmt(r) for r in rows])
