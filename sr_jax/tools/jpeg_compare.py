"""How close the JAX JPEG model (`sr_jax.ops.degradations_jax.jpeg`) comes to libjpeg (OpenCV).

  python -m sr_jax.tools.jpeg_compare --hr_dir=Set5

Prints a Markdown table per quality: mean PSNR of the model's output against libjpeg's, the share of
8-bit values that agree exactly, and the PSNR of each against the source (what compression costs).
"""
import jax
import jax.numpy as jnp
import numpy as np
from absl import flags

from sr_jax import cli
from sr_jax.data import degradations, images as image_io, root as data_root
from sr_jax.ops import degradations_jax

HR_DIR = flags.DEFINE_string("hr_dir", None, "folder of PNG/BMP/JPEG images", required=True)
QUALITIES = flags.DEFINE_list("qualities", ["30", "50", "75", "95"], "JPEG qualities")


def _psnr(a, b):
  return 10 * np.log10(1 / max(np.mean((a - b)**2), 1e-12))


def compare(images, qualities):
  """{quality: (psnr model vs libjpeg, exact fraction, psnr libjpeg vs src, psnr model vs src)}, image means."""
  model = jax.jit(degradations_jax.jpeg)
  rows = {q: [] for q in qualities}
  for img in images:
    h, w = img.shape[:2]
    canvas = np.zeros((-(-h // 16) * 16, -(-w // 16) * 16, 3), np.float32)
    canvas[:h, :w] = img
    for q in qualities:
      ref = degradations.jpeg(img, q)
      out = np.asarray(model(jnp.asarray(canvas), jnp.array([h, w]), jnp.int32(q)))[:h, :w]
      exact = np.mean(np.round(out * 255) == np.round(ref * 255))
      rows[q].append((_psnr(out, ref), exact, _psnr(ref, img), _psnr(out, img)))
  return {q: tuple(np.mean(v, axis=0)) for q, v in rows.items()}


def main(argv):
  del argv
  images = [image_io.load_image(p).astype(np.float32) / 255
            for p in data_root.image_paths(HR_DIR.value)]
  table = compare(images, [int(q) for q in QUALITIES.value])
  print(f"{HR_DIR.value}: {len(images)} images, jax {jax.__version__} on {jax.devices()[0].platform}")
  print("| quality | PSNR model vs libjpeg (dB) | identical values | PSNR libjpeg vs source | PSNR model vs source |")
  print("|---:|---:|---:|---:|---:|")
  for q, (vs_lib, exact, lib, mod) in table.items():
    print(f"| {q} | {vs_lib:.2f} | {100 * exact:.1f}% | {lib:.2f} | {mod:.2f} |")


if __name__ == "__main__":
  cli.run(main)
