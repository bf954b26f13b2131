"""Building a study folder: every HR image's MATLAB-bicubic LR super-resolved by each run and
by the baselines, the HR itself, and the calibration anchors, under opaque names.

Rated items: for every HR image (mod-cropped to the scale, as the benchmarks crop it), one
image per method: nearest neighbour ('NN') and MATLAB bicubic ('Bicubic') upscalings of its
LR (as --baselines asks), each run's SR of that LR, and the HR ('HR'), as SRGAN rated it
beside the methods. Calibration items: for every calibration image, its HR (an example of 5)
and its nearest-neighbour upscaling (an example of 1), in their own files.

Every image is a PNG named by 16 random hex digits; the manifest (study.json, never served)
says which method and image each name is. The folder appears complete or not at all: it is
built beside --out and renamed.
"""
import datetime
import json
import os
import pathlib
import secrets
import shutil
import tempfile

import numpy as np
from PIL import Image

from sr_jax import config as config_lib
from sr_jax.metrics import benchmark
from sr_jax.mos import study as study_lib
from sr_jax.ops import imresize

BASELINES = {"nearest": study_lib.NEAREST, "bicubic": study_lib.BICUBIC}


def super_resolve(workdir: str, lrs: list[np.ndarray], scale: int) -> tuple[list[np.ndarray], int]:
  """(SR of each uint8 RGB LR image as uint8 RGB, the checkpoint step) with a run's latest
  checkpoint (its EMA parameters when it has them): what `python -m sr_jax.upscale` writes
  for these images (whole images, float32; Y-channel runs get MATLAB-bicubic chroma).

  The study's only use of a trained model: point it elsewhere to change how runs infer.
  """
  from sr_jax import inference, upscale  # pylint: disable=g-import-not-at-top
  from sr_jax.data import photos  # pylint: disable=g-import-not-at-top
  generator = inference.from_run(workdir)
  inference.check_scale(generator, scale)
  config, step = generator.config, generator.step
  apply = generator.apply("float32")
  model = lambda lr: upscale.super_resolve(apply, lr, scale, 0, 0, 1, generator.size_multiple)
  rgb = photos.Kind(bits=8, gray=False, alpha=False)
  return [imresize.to_uint8(255 * upscale.upscale_photo(
      lr / np.float32(255), rgb, model, config.channels, scale, scale)) for lr in lrs], step


def check_runs(workdirs: list[str], scale: int):
  """FileNotFoundError or ConfigError naming the first workdir that is not a run of `scale`:
  only the saved configs are read, before any model compiles or any file is written."""
  from sr_jax.train import checkpoint  # pylint: disable=g-import-not-at-top
  for workdir in workdirs:
    config = checkpoint.saved_config(workdir)
    if config is None:
      raise FileNotFoundError(checkpoint.no_checkpoint(workdir))
    checkpoint.check_matches(workdir, config, {"scale": scale}, "--scale")


def method_names(workdirs: list[str], labels: list[str] | None,
                 baselines: list[str]) -> tuple[list[str], list[str]]:
  """(baseline method names, run labels); the study's methods are these, then HR. ConfigError
  for unknown baselines and for labels that are missing, repeated or a reference's name."""
  unknown = [b for b in baselines if b not in BASELINES]
  if unknown:
    raise config_lib.ConfigError(f"--baselines: unknown {unknown[0]!r} (known: "
                                 f"{', '.join(BASELINES)})")
  labels = labels or [os.path.basename(os.path.normpath(w)) for w in workdirs]
  if len(labels) != len(workdirs):
    raise config_lib.ConfigError(f"--labels has {len(labels)} entries for {len(workdirs)} runs")
  reserved = set(BASELINES.values()) | {study_lib.HR}
  for i, label in enumerate(labels):
    if not label.strip():
      raise config_lib.ConfigError(f"--labels: label {i + 1} is empty")
    if label in reserved or label in labels[:i]:
      raise config_lib.ConfigError(
          f"--labels: {label!r} is " + ("a reference's name" if label in reserved else "repeated")
          + " (every method needs a name of its own)")
  return [BASELINES[b] for b in dict.fromkeys(baselines)], list(labels)


def _upscale(lr: np.ndarray, scale: int, method: str) -> np.ndarray:
  return imresize.to_uint8(imresize.imresize(lr, scale, method))


def _check_out(out: pathlib.Path):
  if out.exists() and (not out.is_dir() or any(out.iterdir())):
    raise config_lib.ConfigError(f"--out={out}: exists and is not an empty folder "
                                 "(a study is never overwritten)")


def prepare(hr_dir: str, scale: int, workdirs: list[str], out: str, *,
            labels: list[str] | None = None, baselines=("nearest", "bicubic"),
            raters_seed: int | None = None, calibration_dir: str | None = None,
            log=print) -> dict:
  """Writes the study folder `out` and returns its manifest. Bad input raises ConfigError,
  DataError or FileNotFoundError before anything is computed or written."""
  out = pathlib.Path(out)
  _check_out(out)
  if scale < 2:
    raise config_lib.ConfigError(f"--scale={scale}: must be at least 2")
  baseline_names, run_labels = method_names(workdirs, labels, list(baselines))
  check_runs(workdirs, scale)
  samples = benchmark.load_set(hr_dir, scale, 3)
  calibration = benchmark.load_set(calibration_dir or hr_dir, scale, 3)

  lrs = [s.lr for s in samples]
  outputs = {study_lib.NEAREST: [_upscale(lr, scale, "nearest") for lr in lrs],
             study_lib.BICUBIC: [_upscale(lr, scale, "bicubic") for lr in lrs],
             study_lib.HR: [s.hr for s in samples]}
  methods = [{"name": name, "source": "baseline"} for name in baseline_names]
  for name, workdir in zip(run_labels, workdirs):
    log(f"{name}: super-resolving {len(lrs)} images with {workdir}")
    outputs[name], step = super_resolve(workdir, lrs, scale)
    methods.append({"name": name, "source": "run", "workdir": str(workdir), "step": step})
  methods.append({"name": study_lib.HR, "source": "hr"})

  files = []  # (id, pixels, manifest entry)
  def add(pixels, entry):
    files.append((secrets.token_hex(8), pixels, entry))
  for s in calibration:  # per image: the example of 5, then the example of 1
    add(s.hr, {"image": s.name, "method": study_lib.HR, "anchor": study_lib.ANCHORS[study_lib.HR]})
    add(_upscale(s.lr, scale, "nearest"),
        {"image": s.name, "method": study_lib.NEAREST,
         "anchor": study_lib.ANCHORS[study_lib.NEAREST]})
  n_calibration = len(files)
  for i, s in enumerate(samples):
    for method in methods:
      add(outputs[method["name"]][i], {"image": s.name, "method": method["name"]})
  if len({token for token, _, _ in files}) != len(files):  # 2^-64 per pair: never, but checked
    raise RuntimeError("two images drew the same random name; run prepare again")

  out.parent.mkdir(parents=True, exist_ok=True)
  building = pathlib.Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
  try:
    (building / study_lib.IMAGES).mkdir()
    digests = {}
    for token, pixels, _ in files:
      rel = f"{study_lib.IMAGES}/{token}.png"
      Image.fromarray(pixels).save(building / rel)
      digests[rel] = study_lib.sha256(building / rel)
    entries = [{"id": token, **entry} for token, _, entry in files]
    manifest = {
        "format": study_lib.FORMAT,
        "study_id": secrets.token_hex(16),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "scale": scale,
        "hr_dir": str(hr_dir),
        "calibration_dir": str(calibration_dir or hr_dir),
        "raters_seed": secrets.randbits(32) if raters_seed is None else int(raters_seed),
        "methods": methods,
        "images": [s.name for s in samples],
        "calibration": entries[:n_calibration],
        "items": entries[n_calibration:],
        "files": digests,
    }
    (building / study_lib.MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    building.chmod(0o755)  # mkdtemp's 0700 would hide the study from a server run as another user
    if out.exists():
      out.rmdir()  # empty, checked above
    os.rename(building, out)
  except BaseException:
    shutil.rmtree(building, ignore_errors=True)
    raise
  log(f"wrote {out}: {len(samples)} images x {len(methods)} methods = {len(samples) * len(methods)}"
      f" rated items and {n_calibration} calibration items per rater")
  return manifest

