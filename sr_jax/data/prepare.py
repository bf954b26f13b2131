"""python -m sr_jax.data.prepare DIR --out=OUT_DIR [--sub_images=480 --step=240] [--shards=8]

Packs the images under DIR into ArrayRecord shards, one PNG-encoded image per record, for
`config.data.source='arrayrecord'` with `config.data.arrayrecord_path=OUT_DIR`: a few large files
read at random through grain instead of thousands of small ones (network file systems, object
stores). --sub_images cuts each image into overlapping SIZE×SIZE crops every STRIDE pixels first,
as BasicSR's extract_subimages does for DIV2K (480, 240): the last crop of each row and column is
moved flush with the border, and images smaller than SIZE stay whole. PNG keeps pixels exact.
"""
import io
import pathlib
import sys

from absl import flags, logging
from array_record.python import array_record_module
import numpy as np
from PIL import Image

from sr_jax import cli
from sr_jax.data import images, root

FLAGS = flags.FLAGS
flags.DEFINE_string("out", None, "Output folder for the shards.")
flags.DEFINE_integer("sub_images", 0, "Crop side of BasicSR-style sub-images (0: whole images).")
flags.DEFINE_integer("step", 0, "Stride between sub-images (default: sub_images / 2).")
flags.DEFINE_integer("shards", 1, "Number of ArrayRecord files, images dealt round-robin.")
flags.DEFINE_integer("png_level", 1, "PNG compression level 0-9 (1: fast to decode, lossless).")

SUFFIX = ".array_record"


def crop_starts(size: int, crop: int, step: int) -> list[int]:
  """Starts along one side: every `step`, plus one flush with the far border (extract_subimages)."""
  starts = list(range(0, max(size - crop, 0) + 1, step))
  if starts[-1] + crop < size:
    starts.append(size - crop)
  return starts


def sub_images(img: np.ndarray, crop: int, step: int):
  h, w = img.shape[:2]
  for top in crop_starts(h, crop, step):
    for left in crop_starts(w, crop, step):
      yield img[top:top + crop, left:left + crop]


def encode_png(img: np.ndarray, level: int = 1) -> bytes:
  buf = io.BytesIO()
  Image.fromarray(img).save(buf, format="PNG", compress_level=level)
  return buf.getvalue()


def prepare(folder, out, crop: int = 0, step: int = 0, shards: int = 1, png_level: int = 1) -> dict:
  """Writes out/images-SSSSS-of-NNNNN.array_record; returns counts and the smallest side."""
  out = pathlib.Path(out)
  out.mkdir(parents=True, exist_ok=True)
  paths = root.image_paths(folder)
  writers = [array_record_module.ArrayRecordWriter(
      str(out / f"images-{i:05d}-of-{shards:05d}{SUFFIX}"), "group_size:1") for i in range(shards)]
  records, min_side = 0, None
  try:
    for path in paths:
      img = images.load_image(path)
      for piece in sub_images(img, crop, step or crop // 2) if crop else (img,):
        writers[records % shards].write(encode_png(np.ascontiguousarray(piece), png_level))
        records += 1
        min_side = min(piece.shape[:2]) if min_side is None else min(min_side, *piece.shape[:2])
  finally:
    for w in writers:
      w.close()
  return {"images": len(paths), "records": records, "shards": shards, "min_side": min_side}


def main(argv):
  if len(argv) != 2 or not FLAGS.out:
    sys.exit("error: usage: python -m sr_jax.data.prepare DIR --out=OUT_DIR")
  if FLAGS.shards < 1 or FLAGS.sub_images < 0 or FLAGS.step < 0:
    sys.exit("error: --shards must be >= 1; --sub_images and --step >= 0")
  info = prepare(argv[1], FLAGS.out, FLAGS.sub_images, FLAGS.step, FLAGS.shards, FLAGS.png_level)
  logging.info("%d images → %d records in %d shard(s) under %s; smallest side %d pixels "
               "(config.data.hr_patch must not exceed it)", info["images"], info["records"],
               info["shards"], FLAGS.out, info["min_side"])


if __name__ == "__main__":
  cli.run(main)
