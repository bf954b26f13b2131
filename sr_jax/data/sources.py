"""Random-access sources of HR training images for grain, named by `config.data.source`.

- 'folder': every image under `config.data.dirs` (recursive);
- 'skimage': the colour photographs inside scikit-image's package data, so a fresh machine
  trains with no download;
- 'tfds': a TFDS dataset such as `div2k/bicubic_x2` through `tfds.data_source` (the
  dataset must already be prepared in array_record format);
- 'arrayrecord': PNG records in the ArrayRecord shards that `python -m sr_jax.data.prepare` packs
  (`config.data.arrayrecord_path`: their folder, or one shard), read through grain.
"""
import io
import pathlib
from typing import Sequence

from absl import logging
import numpy as np

from sr_jax.data import images

SKIMAGE_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "motorcycle_left",
                  "motorcycle_right", "hubble_deep_field", "retina", "ihc", "color")


def skimage_paths(names: Sequence[str]) -> list[pathlib.Path]:
  import skimage.data  # pylint: disable=g-import-not-at-top
  root = pathlib.Path(skimage.data.__file__).parent
  by_name = {p.stem: p for p in root.iterdir() if p.suffix.lower() in images.IMAGE_SUFFIXES}
  for name in names:
    if name not in SKIMAGE_PHOTOS or name not in by_name:
      raise images.DataError(f"skimage:{name}: not one of the embedded photos "
                             f"({', '.join(SKIMAGE_PHOTOS)})")
  return [by_name[name] for name in names]


class ImageFiles:
  """Decodes one HR image per index; files smaller than `min_size` are left out (logged)."""

  def __init__(self, paths: Sequence[pathlib.Path], channels: int = 3, min_size: int = 0):
    kept, small = [], []
    for path in paths:
      h, w = images.image_size(path)
      (kept if min(h, w) >= min_size else small).append(path)
    if small:
      logging.warning("Leaving out %d image(s) smaller than the %d-pixel HR patch: %s",
                      len(small), min_size, ", ".join(map(str, small[:5])))
    if not kept:
      raise images.DataError(f"{paths[0].parent}: no image is at least {min_size} pixels "
                             "on its short side (the HR patch)")
    self.paths = kept
    self.channels = channels

  def __len__(self) -> int:
    return len(self.paths)

  def __getitem__(self, index: int) -> np.ndarray:
    return images.load_image(self.paths[index], self.channels)


class TfdsImages:
  """The 'hr' images of a TFDS data source (`tfds.data_source`, no TensorFlow needed)."""

  def __init__(self, name: str, split: str, data_dir: str | None, channels: int = 3):
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
    try:
      self._source = tfds.data_source(name, split=split, data_dir=data_dir or None)
    except Exception as e:  # tfds raises several types for a missing or unprepared dataset
      raise images.DataError(f"tfds:{name}[{split}]: cannot open ({e})") from None
    self.channels = channels

  def __len__(self) -> int:
    return len(self._source)

  def __getitem__(self, index: int) -> np.ndarray:
    hr = np.asarray(self._source[index]["hr"], np.uint8)
    return hr if self.channels == 3 else images.rgb_to_y_uint8(hr)


class ArrayRecordImages:
  """Decodes the PNG record at each index; an image smaller than `min_size` fails when read
  (`prepare` logs the smallest side, and sub-images all have the same one)."""

  def __init__(self, path: str, channels: int = 3, min_size: int = 0):
    import grain  # pylint: disable=g-import-not-at-top
    root = pathlib.Path(path)
    shards = sorted(root.glob("*.array_record")) if root.is_dir() else [root]
    if not shards or not all(p.is_file() for p in shards):
      raise images.DataError(f"{path}: no .array_record shards (python -m sr_jax.data.prepare)")
    self._source = grain.sources.ArrayRecordDataSource([str(p) for p in shards])
    self.channels = channels
    self.min_size = min_size

  def __len__(self) -> int:
    return len(self._source)

  def __getitem__(self, index: int) -> np.ndarray:
    img = images.load_image(io.BytesIO(self._source[index]), self.channels)
    if min(img.shape[:2]) < self.min_size:
      raise images.DataError(f"arrayrecord record {index}: {img.shape[0]}x{img.shape[1]} is "
                             f"smaller than the {self.min_size}-pixel HR patch")
    return img


def training_source(data_config, channels: int):
  """The grain data source for `config.data`."""
  if data_config.source == "arrayrecord":
    return ArrayRecordImages(data_config.arrayrecord_path, channels, data_config.hr_patch)
  if data_config.source == "tfds":
    return TfdsImages(data_config.tfds_name, data_config.tfds_split,
                      data_config.tfds_data_dir, channels)
  if data_config.source == "skimage":
    paths = skimage_paths(data_config.skimage_images)
  else:
    paths = [p for folder in data_config.dirs if folder for p in images.list_images(folder)]
  return ImageFiles(paths, channels, min_size=data_config.hr_patch)


def benchmark_paths(spec: str) -> list[pathlib.Path]:
  """A validation set named by a folder path or by 'skimage:name,name'."""
  if spec.startswith("skimage:"):
    return skimage_paths([n for n in spec[len("skimage:"):].split(",") if n])
  return images.list_images(spec)
