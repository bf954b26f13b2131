"""Benchmark evaluation: whole images, jit-compiled and batched, one compile per size bucket.

LR images are padded (symmetric, bottom/right) up to multiples of `pad_multiple`, batched
with others of the same bucket, super-resolved, and measured with masks that restrict
every metric to each image's true, border-cropped region. The padding is at least two LR
pixels (or none), so that the bicubic baseline reproduces MATLAB's mirrored borders.
"""
import collections
import dataclasses
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from sr_jax.data import degradations, images, sources
from sr_jax.metrics import image_quality
from sr_jax.ops import imresize
from sr_jax.train import sharding


# Benchmark LR protocols: bicubic (BI) and RDN's BD and DN (DN with a fixed noise seed, so every
# evaluation sees the same LR).
DEGRADATIONS = {"bicubic": imresize.bicubic_downscale, "bd": degradations.bd, "dn": degradations.dn}


@dataclasses.dataclass(frozen=True)
class Sample:
  name: str
  hr: np.ndarray  # uint8, cropped to a multiple of the scale
  lr: np.ndarray  # uint8


def load_set(spec: str, scale: int, channels: int = 3,
             degrade: Callable[[np.ndarray, int], np.ndarray] = imresize.bicubic_downscale
             ) -> list[Sample]:
  """HR images of a set (folder or 'skimage:…'), mod-cropped, with LR = degrade(HR)."""
  samples = []
  for path in sources.benchmark_paths(spec):
    hr = images.load_image(path, channels)
    hr = hr[:hr.shape[0] // scale * scale, :hr.shape[1] // scale * scale]
    samples.append(Sample(path.stem, hr, degrade(hr, scale)))
  return samples


def _padded(n: int, multiple: int) -> int:
  pad = -n % multiple
  return n + (pad + multiple if 0 < pad < 2 else pad)


@dataclasses.dataclass
class _Batch:
  indices: list[int]  # positions in the set, to report images in their set order
  lr: np.ndarray
  hr: np.ndarray
  sizes: np.ndarray  # true HR (h, w) per entry


def _buckets(samples: list[Sample], pad_multiple: int) -> dict[tuple[int, int], list]:
  """Padded LR (h, w) → [(position in the set, sample)]."""
  buckets = collections.defaultdict(list)
  for i, s in enumerate(samples):
    key = (_padded(s.lr.shape[0], pad_multiple), _padded(s.lr.shape[1], pad_multiple))
    buckets[key].append((i, s))
  return buckets


def _batch_sizes(sets: dict[str, list[Sample]], pad_multiple: int, batch: int,
                 multiple: int) -> dict[tuple[int, int], int]:
  """One batch size per padded LR size over all sets, so one compile serves that size: the
  largest bucket of that size split into equal batches of at most `batch` (a bucket of 5 with
  batch 4 runs as two batches of 3, a lone image as a batch of 1), rounded up to a multiple of
  the devices. Fewer filler entries than full batches everywhere, no more compiles."""
  largest = collections.Counter()
  for samples in sets.values():
    for key, members in _buckets(samples, pad_multiple).items():
      largest[key] = max(largest[key], len(members))
  sizes = {}
  for key, n in largest.items():
    even = -(-n // -(-n // batch))
    sizes[key] = -(-even // multiple) * multiple
  return sizes


def _batches(samples: list[Sample], scale: int, pad_multiple: int,
             batch_sizes: dict[tuple[int, int], int]) -> list[_Batch]:
  out = []
  for (bh, bw), members in _buckets(samples, pad_multiple).items():
    size = batch_sizes[bh, bw]
    for start in range(0, len(members), size):
      indices = [i for i, _ in members[start:start + size]]
      chunk = [s for _, s in members[start:start + size]]
      chunk = chunk + [chunk[0]] * (size - len(chunk))  # extras are computed, then dropped
      lr = np.stack([np.pad(s.lr, ((0, bh - s.lr.shape[0]), (0, bw - s.lr.shape[1]), (0, 0)),
                            mode="symmetric") for s in chunk])
      hr = np.stack([np.pad(s.hr, ((0, bh * scale - s.hr.shape[0]),
                                   (0, bw * scale - s.hr.shape[1]), (0, 0))) for s in chunk])
      sizes = np.array([s.hr.shape[:2] for s in chunk], np.int32)
      out.append(_Batch(indices, lr, hr, sizes))
  return out


class Benchmark:
  """Evaluates a predictor on named image sets; `run` returns per-image and mean metrics."""

  def __init__(self, sets: dict[str, list[Sample]], scale: int, pad_multiple: int,
               batch_size: int, mesh: jax.sharding.Mesh):
    self.sets = sets
    self.scale = scale
    sizes = _batch_sizes(sets, pad_multiple, batch_size, mesh.size)
    self._batches = {name: _batches(samples, scale, pad_multiple, sizes)
                     for name, samples in sets.items()}
    self._in_sharding = sharding.batch_sharding(mesh)
    self._out_sharding = sharding.replicated(mesh)

  def batch_shapes(self) -> dict[tuple[int, ...], int]:
    """Batches per distinct LR batch shape (size bucket) over all sets: one compile each."""
    return dict(collections.Counter(b.lr.shape for batches in self._batches.values()
                                    for b in batches))

  def compile(self, predict: Callable):
    """predict(variables, lr in [0, 1]) → SR; returns a jitted batch evaluator."""
    def evaluate_batch(variables, lr_u8, hr_u8, sizes):
      sr_u8 = image_quality.quantize(predict(variables, lr_u8.astype(jnp.float32) / 255.0))
      return image_quality.image_quality(sr_u8, hr_u8, sizes, self.scale), sr_u8.astype(jnp.uint8)
    return jax.jit(evaluate_batch, out_shardings=self._out_sharding)

  def run(self, evaluate_batch, variables, keep_images: int = 0):
    """Metrics of every image; SR of the first `keep_images` per set.

    → ({set: {'mean': {...}, 'images': [{'name', metric: value}]}}, {set/name: SR uint8})."""
    put = lambda x: sharding.global_from_host(x, self._in_sharding)
    results, kept = {}, {}
    for set_name, batches in self._batches.items():
      samples = self.sets[set_name]
      rows = [None] * len(samples)
      for b in batches:
        metrics, sr = evaluate_batch(variables, put(b.lr), put(b.hr), put(b.sizes))
        metrics = jax.device_get(metrics)
        for i, index in enumerate(b.indices):
          name = samples[index].name
          rows[index] = {"name": name, **{k: float(v[i]) for k, v in metrics.items()}}
          if index < keep_images:
            h, w = b.sizes[i]
            kept[f"{set_name}/{name}"] = np.asarray(sr[i, :h, :w])
      mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0] if k != "name"}
      results[set_name] = {"mean": mean, "images": rows}
    return results, kept


def comparison_strip(sample: Sample, sr: np.ndarray, scale: int) -> np.ndarray:
  """LR-bicubic | SR | HR side by side, uint8, for TensorBoard."""
  bicubic = imresize.to_uint8(imresize.imresize(sample.lr, scale))
  return np.concatenate([bicubic, sr, sample.hr], axis=1)


def bicubic_predict(scale: int) -> Callable:
  """The MATLAB-bicubic baseline as a predictor (no variables)."""
  return lambda variables, lr: imresize.resize_jax(lr, scale)
