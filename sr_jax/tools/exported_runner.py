"""python run_exported.py --input=IMG --output=OUT.png

Super-resolves an image with the model that `python -m sr_jax.export` wrote beside this file
(manifest.json and the jax.export artifact it names), with only jax, numpy and Pillow: the
folder can be copied anywhere, sr_jax need not be installed. sr_jax.export copies this file
verbatim into each export folder as run_exported.py.

From Python: `manifest, upscale = run_exported.load(folder)`, then `upscale(lr)` maps an
(N, h, w, C) float32 batch in [0, 1] to (N, h·scale, w·scale, C) float32.
"""
import argparse
import json
import pathlib
import sys

import jax
import numpy as np
from PIL import Image

HERE = pathlib.Path(__file__).resolve().parent


def _axis_tiles(size: int, tile: int, overlap: int, scale: int):
  """Tile starts along one axis and each tile's output weights (sr_jax.metrics.predictors's
  blend_weights, restated to keep this file free of sr_jax): a side that faces another tile
  gives up half the overlap, what still overlaps (the flush last tile) is averaged, so a CNN
  whose receptive field fits in half the overlap gives exactly its untiled output."""
  starts = [0] if size == tile else list(range(0, size - tile, tile - overlap)) + [size - tile]
  weights = np.ones((len(starts), tile), np.float32)
  for i, s in enumerate(starts):
    if s > 0:
      weights[i, :overlap // 2] = 0
    if s + tile < size:
      weights[i, tile - (overlap + 1) // 2:] = 0
  weights = np.repeat(weights, scale, axis=1)
  cover = np.zeros(size * scale, np.float32)
  for s, w in zip(starts, weights):
    cover[s * scale:s * scale + w.size] += w
  return starts, [w / cover[s * scale:s * scale + w.size] for s, w in zip(starts, weights)]


def tiled(call, lr: np.ndarray, scale: int, tile: int, overlap: int) -> np.ndarray:
  """A fixed tile×tile export over a whole batch: overlapping tiles, blended; sides shorter
  than a tile are edge-padded up to it and the padding cropped from the output."""
  n, h, w, c = lr.shape
  x = np.pad(lr, ((0, 0), (0, max(tile - h, 0)), (0, max(tile - w, 0)), (0, 0)), mode="edge")
  ys, wys = _axis_tiles(x.shape[1], tile, overlap, scale)
  xs, wxs = _axis_tiles(x.shape[2], tile, overlap, scale)
  out = np.zeros((n, x.shape[1] * scale, x.shape[2] * scale, c), np.float32)
  for y, wy in zip(ys, wys):
    for x0, wx in zip(xs, wxs):
      sr = np.asarray(call(x[:, y:y + tile, x0:x0 + tile]))
      out[:, y * scale:(y + tile) * scale, x0 * scale:(x0 + tile) * scale] += (
          sr * (wy[:, None] * wx[None, :])[None, :, :, None])
  return out[:, :h * scale, :w * scale]


def load(folder=HERE):
  """(manifest, upscale) of an export folder; upscale takes (N, h, w, C) float32 in [0, 1]."""
  folder = pathlib.Path(folder)
  manifest = json.loads((folder / "manifest.json").read_text())
  exported = jax.export.deserialize(bytearray((folder / manifest["artifact"]).read_bytes()))
  call = jax.jit(exported.call)  # one compile per input shape, cached
  if manifest["tile"]:
    return manifest, lambda lr: tiled(call, np.asarray(lr, np.float32), manifest["scale"],
                                      manifest["tile"], manifest["tile_overlap"])
  return manifest, lambda lr: np.asarray(call(np.asarray(lr, np.float32)))


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--input", required=True, help="image to super-resolve")
  parser.add_argument("--output", required=True, help="where to write the SR image (PNG)")
  args = parser.parse_args(argv)
  manifest, upscale = load()
  try:
    image = Image.open(args.input)
  except OSError as e:  # missing or unreadable file
    sys.exit(f"error: {args.input}: {e}")
  # A 1-channel model (Y-trained) gets Pillow's luma and writes a grayscale image.
  lr = np.asarray(image.convert("RGB" if manifest["channels"] == 3 else "L"), np.float32) / 255
  sr = upscale(lr.reshape(1, *lr.shape[:2], manifest["channels"]))[0]
  sr = np.clip(np.floor(sr * 255 + 0.5), 0, 255).astype(np.uint8)  # MATLAB's rounding
  Image.fromarray(sr[..., 0] if manifest["channels"] == 1 else sr).save(args.output)
  print(f"{args.input} {lr.shape[1]}x{lr.shape[0]} -> {args.output} {sr.shape[1]}x{sr.shape[0]}")


if __name__ == "__main__":
  main()
