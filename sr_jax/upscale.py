"""python -m sr_jax.upscale (--workdir=W [--step=S] | --weights=FILE | --model=NAME
    [--denoise_strength=0.5]) --input=IMG_OR_DIR --output=DIR [--tile=512 --tile_overlap=32]
    [--tile_batch=N] [--outscale=3.5] [--dtype=bfloat16] [--overwrite]
python -m sr_jax.upscale --list_models

Upscales photos with a trained run (the parameters its validation chose), a weights file (a
PyTorch/safetensors/npz state_dict, recognised and converted once: sr_jax.weights) or an official
release by name (downloaded once; Real-ESRGAN's realesr-general-x4v3 with --denoise_strength
mixes in its weak-denoise companion, as Real-ESRGAN does): one image, or every
image under a folder (the suffixes the evaluation reads), written under --output at the same
relative path as <stem>.png (16-bit TIFF stays TIFF). Photos keep their kind
(sr_jax.data.photos): grayscale stays one channel, alpha is kept, 16-bit stays 16-bit.

Tiling happens on the host, so a large image never has to fit on the device: LR tiles of
--tile (a multiple of the model's size multiple, 2 or 4 for pixel-unshuffling RRDBNets, else
any; a shorter image side is one tile)
overlapping by --tile_overlap are cut in NumPy, sent --tile_batch at a time and blended with
predictors.blend_weights, the weights of evaluation's in-jit tiling. --tile=0 sends whole
images. --outscale resizes the model's output (MATLAB bicubic) to round(outscale·size).

Existing outputs are skipped unless --overwrite. A missing --workdir or --input, or an
unreadable --input image, stops with one error line before anything compiles. In a folder an
unreadable image is named and skipped, the rest are upscaled, and the run ends with an error
line counting the skipped ones (exit status 1).
"""
import collections
import pathlib
import sys
from typing import Callable

from absl import flags
import jax
import numpy as np
from tqdm import tqdm

from sr_jax import cli
from sr_jax import config as config_lib
from sr_jax.data import photos
from sr_jax.data.images import IMAGE_SUFFIXES, DataError
from sr_jax.metrics import predictors
from sr_jax.ops import imresize
from sr_jax import inference

FLAGS = flags.FLAGS
Apply = Callable[[np.ndarray], jax.Array]  # (N, h, w, C) LR tiles → (N, h·s, w·s, C) float32


def super_resolve(apply: Apply, lr: np.ndarray, scale: int, tile: int, overlap: int,
                  tile_batch: int, pad_multiple: int,
                  progress: Callable[[int, int], None] = lambda done, total: None) -> np.ndarray:
  """(H, W, C) LR → (H·scale, W·scale, C) float32 SR, assembled on the host.

  The LR is padded (symmetric, as the benchmark pads it) to multiples of `pad_multiple`
  (pixel-unshuffling models need them; 1 pads nothing) and cut into tile×tile tiles (tile 0, or a shorter side:
  whole). Tiles go `tile_batch` at a time, the last batch padded with zeros, so every batch of
  an image has one shape: one compile per tile shape; an image that is one tile goes alone
  and compiles its own shape once. The next batch is dispatched before the previous one is
  blended, so the host blends while the device computes. progress(tiles done, tiles) is
  called after each batch.
  """
  h, w, c = lr.shape
  lr = np.pad(lr.astype(np.float32), ((0, -h % pad_multiple), (0, -w % pad_multiple), (0, 0)),
              mode="symmetric")
  ph, pw = lr.shape[:2]
  th, tw = (min(tile, ph), min(tile, pw)) if tile else (ph, pw)
  ys, wy = predictors.blend_weights(ph, th, overlap, scale)
  xs, wx = predictors.blend_weights(pw, tw, overlap, scale)
  grid = [(i, j) for i in range(len(ys)) for j in range(len(xs))]
  batch = tile_batch if len(grid) > 1 else 1
  out = np.zeros((ph * scale, pw * scale, c), np.float32)

  def blend(k, part, sr):
    for (i, j), tile_sr in zip(part, np.asarray(sr)):
      y, x = ys[i] * scale, xs[j] * scale
      out[y:y + th * scale, x:x + tw * scale] += tile_sr * np.outer(wy[i], wx[j])[..., None]
    progress(k + len(part), len(grid))

  pending = None
  for k in range(0, len(grid), batch):
    part = grid[k:k + batch]
    tiles = np.stack([lr[ys[i]:ys[i] + th, xs[j]:xs[j] + tw] for i, j in part])
    sr = apply(np.pad(tiles, ((0, batch - len(part)), (0, 0), (0, 0), (0, 0))))  # asynchronous
    if pending:
      blend(*pending)
    pending = k, part, sr
  blend(*pending)
  return out[:h * scale, :w * scale]


def upscale_photo(pixels: np.ndarray, kind: photos.Kind, sr: Callable[[np.ndarray], np.ndarray],
                  channels: int, scale: int, outscale: float) -> np.ndarray:
  """Pixels of `kind` (photos.read) → pixels of the same kind, round(outscale·size) large.

  sr: (H, W, channels) → (H·scale, W·scale, channels), the model (channels: the run's
  config.channels). Its input is RGB: a gray
  photo is replicated to RGB and the mean of the output's channels is written back. For a
  1-channel model it is BT.601 Y, and CbCr are MATLAB-bicubic upscaled, as the field
  evaluates Y models (VDSR, SRCNN). Alpha does not go through the model (Real-ESRGAN sends it
  through replicated to RGB): it is MATLAB-bicubic resized straight to the output size, since
  a model trained on photos has seen no masks and adds texture and halos at their edges, and
  a second model pass would cost as much as the photo's own.
  """
  h, w = pixels.shape[:2]
  size = (int(outscale * h + 0.5), int(outscale * w + 0.5))
  color = 1 if kind.gray else 3
  rgb = np.repeat(pixels[..., :color], 3 // color, axis=-1)
  if channels == 1:
    ycbcr = photos.rgb_to_ycbcr(rgb)
    out = photos.ycbcr_to_rgb(np.concatenate(
        [sr(ycbcr[..., :1]), imresize.imresize(ycbcr[..., 1:], scale)], axis=-1))
  else:
    out = sr(rgb)
  if out.shape[:2] != size:
    out = imresize.imresize(out, outscale / scale, out_hw=size)
  if kind.gray:
    out = out.mean(axis=-1, keepdims=True)
  if kind.alpha:
    out = np.concatenate([out, imresize.imresize(pixels[..., color:], outscale, out_hw=size)],
                         axis=-1)
  return out


def plan(input_: str, output: str) -> tuple[list[tuple[pathlib.Path, pathlib.Path]], list[str]]:
  """(image, output file) pairs, and why the images of a folder that do not open do not.

  Only headers are read. A single --input image that does not open raises DataError; a
  missing --input raises FileNotFoundError; two images that would write one file (a.jpg and
  a.png) raise DataError naming both.
  """
  root, out = pathlib.Path(input_), pathlib.Path(output)
  if root.is_file():
    if root.suffix.lower() not in IMAGE_SUFFIXES:
      raise DataError(f"{root}: not an image ({', '.join(IMAGE_SUFFIXES)})")
    return [(root, out / photos.output_name(root))], []
  if not root.is_dir():
    raise FileNotFoundError(f"--input={input_}: no such file or folder")
  out_dir = out.resolve()  # inside --input: its files are earlier runs' outputs
  files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES
                 and p.is_file() and out_dir not in p.resolve().parents)
  if not files:
    raise DataError(f"{root}: no images ({', '.join(IMAGE_SUFFIXES)}) in this folder")
  jobs, unreadable = [], []
  for f in files:
    try:
      jobs.append((f, out / f.parent.relative_to(root) / photos.output_name(f)))
    except DataError as e:
      unreadable.append(str(e))
  sources = collections.defaultdict(list)
  for src, dst in jobs:
    sources[dst].append(src)
  for dst, srcs in sources.items():
    if len(srcs) > 1:
      raise DataError(f"{' and '.join(map(str, srcs))} would both be written to {dst}")
  return jobs, unreadable


def run(generator: Callable[[], inference.Generator], input_: str, output: str, *, tile: int,
        tile_overlap: int, tile_batch: int, outscale: float | None, dtype: str, overwrite: bool):
  """The CLI's work, its flags as arguments (the generator as a loader, called once the inputs
  are known to be there); bad input raises ConfigError, DataError or FileNotFoundError before
  anything compiles."""
  jobs, unreadable = plan(input_, output)
  generator = generator()
  config = generator.config
  multiple = generator.size_multiple
  if tile % multiple:
    raise config_lib.ConfigError(f"--tile={tile}: must be a multiple of {multiple}, what "
                                 f"{config.model.name} needs of its input sides")
  print(f"{generator.describe()}, {len(jobs)} images")
  for message in unreadable:
    print(f"skipped: {message}")
  apply = generator.apply(dtype)
  outscale = outscale or config.scale
  single = pathlib.Path(input_).is_file()
  upscaled = existing = 0
  with tqdm(jobs, unit="image") as files:
    sr = lambda lr: super_resolve(
        apply, lr, config.scale, tile, tile_overlap, tile_batch, multiple,
        lambda done, total: files.set_postfix_str(f"tile {done}/{total}"))
    for src, dst in files:
      if dst.exists() and not overwrite:
        tqdm.write(f"{dst}: exists, skipped (--overwrite replaces it)")
        existing += 1
        continue
      try:
        pixels, kind = photos.read(src)
      except DataError as e:
        if single:
          raise
        tqdm.write(f"skipped: {e}")
        unreadable.append(str(e))
        continue
      dst.parent.mkdir(parents=True, exist_ok=True)
      photos.write(dst, upscale_photo(pixels, kind, sr, config.channels, config.scale, outscale),
                   kind)
      upscaled += 1
  print(f"{upscaled} upscaled, {existing} existing outputs skipped: {output}")
  if unreadable:
    sys.exit(f"error: {len(unreadable)} unreadable image(s) skipped (named above)")


def define_flags():
  """The CLI's flags, defined only when run as a program: tests import the module beside
  others whose flags share these names (evaluate's --workdir and --tile, prepare's --step)."""
  inference.define_flags()
  flags.DEFINE_float("denoise_strength", None, "With --model=realesr-general-x4v3: 0 keeps the "
                     "noise (its weak-denoise companion), 1 removes it (Real-ESRGAN's option).")
  flags.DEFINE_string("input", None, "An image, or a folder of images (searched recursively).")
  flags.DEFINE_string("output", None, "Folder for the upscaled images.")
  flags.DEFINE_integer("tile", 512, "LR tile side (0: whole images).", lower_bound=0)
  flags.DEFINE_integer("tile_overlap", 32, "LR pixels shared by neighbouring tiles.",
                       lower_bound=0)
  flags.DEFINE_integer("tile_batch", 1, "Tiles per model call.", lower_bound=1)
  flags.DEFINE_float("outscale", None, "Output size / input size (default: the run's scale).")
  flags.DEFINE_enum("dtype", "float32", list(config_lib.DTYPES),
                    "Parameters, input and computation in this dtype.")
  flags.DEFINE_bool("overwrite", False, "Replace existing outputs (default: skip them).")
  flags.register_multi_flags_validator(
      ["tile", "tile_overlap"], lambda f: not f["tile"] or f["tile_overlap"] < f["tile"],
      "--tile_overlap must be in [0, --tile)")
  flags.register_validator("outscale", lambda v: v is None or v > 0,
                           "--outscale must be positive")


def main(argv):
  del argv
  inference.list_models_if_asked()
  missing = [f"--{f}" for f in ("input", "output") if not FLAGS[f].value]
  if missing:
    raise config_lib.ConfigError(f"{' and '.join(missing)} required")
  run(lambda: inference.from_flags(FLAGS.denoise_strength), FLAGS.input, FLAGS.output,
      tile=FLAGS.tile, tile_overlap=FLAGS.tile_overlap, tile_batch=FLAGS.tile_batch,
      outscale=FLAGS.outscale, dtype=FLAGS.dtype, overwrite=FLAGS.overwrite)


if __name__ == "__main__":
  define_flags()
  cli.run(main)
