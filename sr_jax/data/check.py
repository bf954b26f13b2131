"""python -m sr_jax.data.check DIR [--against=DIR2] [--patch=96] [--json=OUT] [--max_image_pixels=N]

Decodes every image under DIR once, with the check training runs before it starts
(sr_jax.data.images.inspect_all and .problem, as sources.ImageFiles), and reports: counts; min /
median / max of heights and widths and the total megapixels; PIL modes; files that cannot be
decoded, with the reason (corrupt, truncated, empty, not an image, decompression bomb); images
smaller than --patch; duplicates; and, with --against, images of DIR that are also in DIR2
(train/test overlap). Duplicates and overlap match by ImageInfo.digest, the sha256 of the
decoded, upright RGB pixels and their size: a lossless re-save or another lossless format of
the same pixels matches, a JPEG re-compression does not.

Exit status: 0 when DIR is clean; 1 when any problem is found (an unreadable, small, duplicate or
overlapping image), or, with one 'error:' line, when a folder is missing or holds no images.
"""
import collections
import json
import sys

from absl import app, flags
import numpy as np

from sr_jax.data import images, root

FLAGS = flags.FLAGS


def define_flags():
  """The CLI's flags, defined only when run as a program (`json` is also sr_jax.evaluate's)."""
  flags.DEFINE_string("against", None, "A second folder (a test set): report images in both.")
  flags.DEFINE_integer("patch", 96, "HR patch side: smaller images cannot train.")
  flags.DEFINE_string("json", None, "Write the report here as JSON.")
  flags.DEFINE_integer("max_image_pixels", images.MAX_PIXELS,
                       "Larger images count as decompression bombs (config.data.max_image_pixels).")


def _stats(values) -> dict:
  return {"min": int(np.min(values)), "median": float(np.median(values)),
          "max": int(np.max(values))} if values else {}


def report(folder, against=None, patch: int = 96, max_pixels: int = images.MAX_PIXELS) -> dict:
  """Everything the CLI prints, as a JSON-able dict; 'problems' counts the files at fault."""
  infos = images.inspect_all(root.image_paths(folder), max_pixels)
  readable = [i for i in infos if not i.error]
  by_digest = collections.defaultdict(list)
  for info in readable:
    by_digest[info.digest].append(str(info.path))
  duplicates = [paths for paths in by_digest.values() if len(paths) > 1]
  result = {
      "folder": str(folder),
      "images": len(infos),
      "readable": len(readable),
      "height": _stats([i.height for i in readable]),
      "width": _stats([i.width for i in readable]),
      "megapixels": sum(i.height * i.width for i in readable) / 1e6,
      "modes": dict(collections.Counter(i.mode for i in readable).most_common()),
      "unreadable": {str(i.path): i.error for i in infos if i.error},
      "small": {str(i.path): images.problem(i, patch) for i in readable
                if images.problem(i, patch)},
      "patch": patch,
      "duplicates": duplicates,
      "hash": "sha256 of 'HxW:' + decoded upright RGB uint8 pixels",
  }
  overlap = {}
  if against:
    other = images.inspect_all(root.image_paths(against), max_pixels)
    theirs = collections.defaultdict(list)
    for info in other:
      if not info.error:
        theirs[info.digest].append(str(info.path))
    overlap = {path: theirs[digest] for digest, paths in by_digest.items() if digest in theirs
               for path in paths}
    result["against"] = {"folder": str(against), "images": len(other),
                         "unreadable": sum(bool(i.error) for i in other)}
    result["overlap"] = overlap
  result["problems"] = (len(result["unreadable"]) + len(result["small"])
                        + sum(len(paths) - 1 for paths in duplicates) + len(overlap))
  return result


def summary(r: dict) -> str:
  lines = [f"{r['folder']}: {r['images']} images, {r['readable']} readable, "
           f"{r['megapixels']:.1f} megapixels"]
  if r["readable"]:
    lines.append("  height min/median/max {min}/{median:g}/{max}".format(**r["height"])
                 + ", width {min}/{median:g}/{max}".format(**r["width"]))
    lines.append("  modes: " + ", ".join(f"{m} {n}" for m, n in r["modes"].items()))
  lines += [f"  unreadable: {len(r['unreadable'])}"] + [
      f"    {why}" for why in r["unreadable"].values()]
  lines += [f"  smaller than the {r['patch']}-pixel patch: {len(r['small'])}"] + [
      f"    {why}" for why in r["small"].values()]
  lines += [f"  duplicate groups ({r['hash']}): {len(r['duplicates'])}"] + [
      "    " + " = ".join(paths) for paths in r["duplicates"]]
  if "against" in r:
    a = r["against"]
    lines += [f"  also in {a['folder']} ({a['images']} images, {a['unreadable']} unreadable): "
              f"{len(r['overlap'])}"] + [
        f"    {path} = {' = '.join(theirs)}" for path, theirs in r["overlap"].items()]
  lines.append(f"{r['problems']} problem file(s)" if r["problems"] else "clean")
  return "\n".join(lines)


def main(argv):
  if len(argv) != 2:
    sys.exit("error: usage: python -m sr_jax.data.check DIR [--against=DIR2] [--patch=96] "
             "[--json=OUT]")
  try:
    result = report(argv[1], FLAGS.against, FLAGS.patch, FLAGS.max_image_pixels)
  except images.DataError as e:
    sys.exit(f"error: {e}")
  print(summary(result))
  if FLAGS.json:
    with open(FLAGS.json, "w") as f:
      json.dump(result, f, indent=1)
  sys.exit(1 if result["problems"] else 0)


if __name__ == "__main__":
  define_flags()
  app.run(main)
