"""Random-access sources of HR training images for grain, named by `config.data.source`.

- 'folder': every image under `config.data.dirs` (recursive): paths, or names of sets under the
  data root (`Set5`, `DIV2K`, `DF2K`, ...; sr_jax.data.root);
- 'skimage': the colour photographs inside scikit-image's package data, so a fresh machine
  trains with no download;
- 'tfds': a TFDS dataset such as `div2k/bicubic_x2` through `tfds.data_source` (the
  dataset must already be prepared in array_record format);
- 'arrayrecord': PNG records in the ArrayRecord shards that `python -m sr_jax.data.prepare` packs
  (`config.data.arrayrecord_path`: their folder, or one shard), read through grain.
"""
import io
import pathlib
import threading
from typing import Sequence

from absl import logging
import numpy as np

from sr_jax import extras
from sr_jax.data import images, root

SKIMAGE_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "motorcycle_left",
                  "motorcycle_right", "hubble_deep_field", "retina", "ihc", "color")


def skimage_paths(names: Sequence[str]) -> list[pathlib.Path]:
  import skimage.data  # pylint: disable=g-import-not-at-top
  package = pathlib.Path(skimage.data.__file__).parent
  by_name = {p.stem: p for p in package.iterdir() if p.suffix.lower() in images.IMAGE_SUFFIXES}
  for name in names:
    if name not in SKIMAGE_PHOTOS or name not in by_name:
      raise images.DataError(f"skimage:{name}: not one of the embedded photos "
                             f"({', '.join(SKIMAGE_PHOTOS)})")
  return [by_name[name] for name in names]


BAD_IMAGES = ("skip", "error")  # config.data.bad_images


class ImageFiles:
  """Decodes one HR image per index. Every file is decoded once here, on threads, so that a
  truncated or corrupt file, a decompression bomb or an image smaller than `min_size` fails
  before training rather than in a grain worker mid-run: bad_images='skip' leaves them out
  (logged, each with its reason; `skipped` lists them), 'error' raises DataError."""

  def __init__(self, paths: Sequence[pathlib.Path], channels: int = 3, min_size: int = 0,
               bad_images: str = "skip", max_pixels: int = images.MAX_PIXELS):
    problems = [(info.path, images.problem(info, min_size))
                for info in images.inspect_all(paths, max_pixels, digest=False)]
    self.skipped = {path: why for path, why in problems if why}
    self.paths = [path for path, why in problems if not why]
    if self.skipped and bad_images == "error":
      raise images.DataError(f"{next(iter(self.skipped.values()))} ({len(self.skipped)} of "
                             f"{len(paths)} files unusable; config.data.bad_images='skip' "
                             "trains on the rest)")
    if self.skipped:
      logging.warning("Skipping %d of %d training image(s) (config.data.bad_images='skip'):\n%s",
                      len(self.skipped), len(paths), "\n".join(self.skipped.values()))
    if not self.paths:
      raise images.DataError(f"{paths[0].parent}: none of the {len(paths)} images is usable "
                             f"(decodable, at least {min_size} pixels on its short side)")
    self.channels = channels
    self.max_pixels = max_pixels

  def __len__(self) -> int:
    return len(self.paths)

  def __getitem__(self, index: int) -> np.ndarray:
    return images.load_image(self.paths[index], self.channels, self.max_pixels)


class TfdsImages:
  """The 'hr' images of a TFDS data source (`tfds.data_source`, no TensorFlow needed)."""

  def __init__(self, name: str, split: str, data_dir: str | None, channels: int = 3):
    tfds = extras.require("tensorflow_datasets", "tfds", "config.data.source='tfds'")
    try:  # download=False: an unprepared dataset is an error here, not a download mid-run
      self._source = tfds.data_source(name, split=split, data_dir=data_dir or None,
                                      download=False)
    except Exception as e:  # tfds raises several types for a missing or unprepared dataset
      where = data_dir or "~/tensorflow_datasets"
      raise images.DataError(
          f"tfds:{name}[{split}]: not prepared in array_record format under {where} "
          f"({type(e).__name__}); prepare it with: tfds build {name} --file_format=array_record"
          f"{f' --data_dir={data_dir}' if data_dir else ''} (needs TensorFlow), or train on "
          "folders instead: data.source='folder' after python -m sr_jax.data.fetch DIV2K") from None
    self.channels = channels

  def __len__(self) -> int:
    return len(self._source)

  def __getitem__(self, index: int) -> np.ndarray:
    hr = np.asarray(self._source[index]["hr"], np.uint8)
    return hr if self.channels == 3 else images.rgb_to_y_uint8(hr)


class ArrayRecordImages:
  """Decodes the PNG record at each index; an image smaller than `min_size` fails when read
  (`prepare` logs the smallest side, and sub-images all have the same one)."""

  def __init__(self, path: str, channels: int = 3, min_size: int = 0,
               max_pixels: int = images.MAX_PIXELS):
    import grain  # pylint: disable=g-import-not-at-top
    where = pathlib.Path(path)
    shards = sorted(where.glob("*.array_record")) if where.is_dir() else [where]
    if not shards or not all(p.is_file() for p in shards):
      raise images.DataError(f"{path}: no .array_record shards (python -m sr_jax.data.prepare)")
    self._source = grain.sources.ArrayRecordDataSource([str(p) for p in shards])
    self.channels = channels
    self.min_size = min_size
    self.max_pixels = max_pixels

  def __len__(self) -> int:
    return len(self._source)

  def __getitem__(self, index: int) -> np.ndarray:
    img = images.load_image(io.BytesIO(self._source[index]), self.channels, self.max_pixels)
    if min(img.shape[:2]) < self.min_size:
      raise images.DataError(f"arrayrecord record {index}: {img.shape[0]}x{img.shape[1]} is "
                             f"smaller than the {self.min_size}-pixel HR patch")
    return img


class Decoded:
  """A source whose decoded images are kept in memory, first come first kept, up to `budget`
  bytes (in each process: threads share it, each grain worker keeps its own). Every patch of a
  step is cropped from a whole decoded image: on a set that fits (T91: 91 images, 3.2 MB in Y),
  an image is decoded once instead of once per patch (a T91 image takes 7.6 ms to decode, its
  patch 1.1 ms to crop and degrade; bench/NOTES.md). Images come back read-only."""

  def __init__(self, source, budget: int):
    self.__setstate__({"source": source, "budget": budget})

  def __getstate__(self):  # grain workers receive the source, not what this process kept
    return {"source": self.source, "budget": self.budget}

  def __setstate__(self, state):
    self.__dict__.update(state)
    self.kept, self.kept_bytes, self._lock = {}, 0, threading.Lock()

  def __len__(self) -> int:
    return len(self.source)

  def __getitem__(self, index: int) -> np.ndarray:
    img = self.kept.get(index)
    if img is None:
      img = self.source[index]
      img.setflags(write=False)
      with self._lock:
        if index not in self.kept and self.kept_bytes + img.nbytes <= self.budget:
          self.kept[index] = img
          self.kept_bytes += img.nbytes
    return img


def training_source(data_config, channels: int):
  """The grain data source for `config.data`: its decoded images kept up to
  `data.decoded_cache_mb`."""
  if data_config.source == "arrayrecord":
    source = ArrayRecordImages(data_config.arrayrecord_path, channels, data_config.hr_patch,
                               data_config.max_image_pixels)
  elif data_config.source == "tfds":
    source = TfdsImages(data_config.tfds_name, data_config.tfds_split,
                        data_config.tfds_data_dir, channels)
  else:
    if data_config.source == "skimage":
      paths = skimage_paths(data_config.skimage_images)
    else:
      paths = [p for spec in data_config.dirs if spec for p in root.image_paths(spec)]
    source = ImageFiles(paths, channels, data_config.hr_patch, data_config.bad_images,
                        data_config.max_image_pixels)
  budget = data_config.decoded_cache_mb * 2**20
  return Decoded(source, budget) if budget else source


def benchmark_paths(spec: str) -> list[pathlib.Path]:
  """A validation set named by a set name under the data root, a folder path, one image file,
  or 'skimage:name,name'."""
  if spec.startswith("skimage:"):
    return skimage_paths([n for n in spec[len("skimage:"):].split(",") if n])
  if pathlib.Path(spec).is_file():
    return [pathlib.Path(spec)]
  return root.image_paths(spec)
