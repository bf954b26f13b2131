"""Evaluation-time predictor wrappers, traced inside the jitted benchmark batch.

A predictor is predict(variables, lr) → SR on (N, H, W, C) batches in [0, 1]; these wrap one
into another: the ×8 geometric self-ensemble (EDSR+, RCAN+) and tiled inference for models
whose memory grows with the image (SwinIR, RRDBNet on large images).
"""
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

Predict = Callable[[object, jax.Array], jax.Array]
_FLIPS = ((), (1,), (2,), (1, 2))  # none, vertical, horizontal, both (a 180° rotation)


def self_ensemble(predict: Predict) -> Predict:
  """The mean over the 8 flips/transpositions of the input, each output transformed back.

  Works on whole padded batches: a transposed (N, W, H, C) bucket is a second shape of the
  same compile. The four flips of one orientation run as one lax.map, so the model is traced
  twice (not eight times) and its activations are those of one batch at a time.
  """
  def ensembled(variables, lr):
    total = 0.0
    for transposed in (False, True):
      x = lr.swapaxes(1, 2) if transposed else lr
      outs = jax.lax.map(lambda v: predict(variables, v),
                         jnp.stack([jnp.flip(x, axes) for axes in _FLIPS]))
      out = sum(jnp.flip(o, axes) for o, axes in zip(outs.astype(jnp.float32), _FLIPS))
      total = total + (out.swapaxes(1, 2) if transposed else out)
    return total / 8
  return ensembled


def tile_starts(size: int, tile: int, overlap: int) -> list[int]:
  """Tile starts along one axis of `size` (tile ≤ size): SwinIR's grid, the last tile flush."""
  if tile == size:  # one tile, whatever the overlap (a zero stride would not step)
    return [0]
  return list(range(0, size - tile, tile - overlap)) + [size - tile]


def blend_weights(size: int, tile: int, overlap: int, scale: int) -> tuple[list[int], np.ndarray]:
  """Tile starts along one axis and each tile's (tile·scale,) output weights: 1, except the
  half of an overlap next to a neighbouring tile, normalised to sum to 1 at every output pixel.

  SwinIR's script averages whole overlaps; trimming each side that faces another tile by half
  the overlap leaves every output pixel to the tiles that see at least overlap/2 LR pixels of
  context around it, so a model whose receptive field reaches no further (a small CNN) gives
  exactly its untiled output. Where trimmed tiles still overlap (the flush last tile), they
  are averaged. On a grid of tiles the 2-D weights are the outer products of these (the
  per-axis sums are 1, so theirs are too): in-jit tiling here and the host-side tiling of
  sr_jax.upscale blend with the same weights.
  """
  starts = tile_starts(size, tile, overlap)
  w = np.ones((len(starts), tile), np.float32)
  for i, s in enumerate(starts):
    if s > 0:
      w[i, :overlap // 2] = 0
    if s + tile < size:
      w[i, tile - (overlap + 1) // 2:] = 0
  w = np.repeat(w, scale, axis=1)
  cover = sum(np.pad(wt, (s * scale, (size - s) * scale - wt.size)) for s, wt in zip(starts, w))
  return starts, w / np.stack([cover[s * scale:s * scale + wt.size] for s, wt in zip(starts, w)])


def tiled(predict: Predict, scale: int, tile: int, overlap: int) -> Predict:
  """Runs `predict` on overlapping tile×tile LR windows (a shorter side: whole) and blends
  the outputs: one compile per bucket, one tile position of the whole batch at a time."""
  if not 0 <= overlap < tile:
    raise ValueError(f"tile overlap {overlap} must be in [0, tile={tile})")

  def run(variables, lr):
    n, h, w, c = lr.shape
    th, tw = min(tile, h), min(tile, w)
    ys, wy = blend_weights(h, th, overlap, scale)
    xs, wx = blend_weights(w, tw, overlap, scale)
    grid = [(i, j) for i in range(len(ys)) for j in range(len(xs))]
    starts = np.array([(ys[i], xs[j]) for i, j in grid], np.int32)
    rows, cols = wy[[i for i, _ in grid]], wx[[j for _, j in grid]]

    def add_tile(acc, args):
      (y, x), row, col = args
      sr = predict(variables, jax.lax.dynamic_slice(lr, (0, y, x, 0), (n, th, tw, c)))
      at = (0, y * scale, x * scale, 0)
      region = jax.lax.dynamic_slice(acc, at, sr.shape)
      weighted = sr.astype(jnp.float32) * (row[:, None] * col[None, :])[None, :, :, None]
      return jax.lax.dynamic_update_slice(acc, region + weighted, at), None

    out_c = jax.eval_shape(predict, variables,
                           jax.ShapeDtypeStruct((n, th, tw, c), lr.dtype)).shape[-1]
    acc = jnp.zeros((n, h * scale, w * scale, out_c), jnp.float32)
    return jax.lax.scan(add_tile, acc, (starts, rows, cols))[0]
  return run


def for_evaluation(predict: Predict, scale: int, ensemble: bool = False, tile: int = 0,
                   tile_overlap: int = 0) -> Predict:
  """`predict` with the self-ensemble (inside each tile: the model only ever sees tiles)
  and/or tiling (tile 0: whole images)."""
  if ensemble:
    predict = self_ensemble(predict)
  return tiled(predict, scale, tile, tile_overlap) if tile else predict
