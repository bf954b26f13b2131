"""python -m sr_jax.compare --hr=IMG --scale=S [--workdir=W1,W2] [--weights=F1,...] [--model=M,...]
    [--labels=A,B] [--box=x,y,w,h] [--zoom=Z] [--degradation=bicubic|bd|dn] --out=cmp.png

A comparison figure as SR papers print them, in one row: the HR image (downsized to the row's
height if taller) with the crop box in red, then the box zoomed (nearest neighbour) from HR,
MATLAB bicubic and each method's SR: training runs (the parameters their validation chose, latest
checkpoint), weights files and official releases (sr_jax.inference), in that order.
Under each crop: its label and the PSNR-Y / SSIM-Y of the WHOLE image, exactly the per-image
numbers `python -m sr_jax.evaluate --hr_dir=<folder holding only IMG>` prints (same loading,
Benchmark and padding). The numbers also go to cmp.json beside the figure.

The default box is the most textured square a quarter of the short side wide (the largest sum
of squared HR luma gradients, the first such square in row-major order on ties): the region
where SR methods differ most. The default zoom makes crops at most 256 pixels on a side.
"""
import json
import os
import pathlib
import sys

from absl import flags
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from sr_jax import cli, inference
from sr_jax import config as config_lib
from sr_jax.data import images
from sr_jax.metrics import benchmark
from sr_jax.train import sharding

FLAGS = flags.FLAGS

PANEL = 256  # the default zoom's bound on a crop's side
GAP = 8  # white pixels around and between panels
LINE = 14  # text line height of the default font
LABEL_HEIGHT = 2 * LINE + 4  # the strip under each panel: label, then numbers
BOX_COLOUR = (255, 0, 0)
BOX_WIDTH = 2


def load_sample(path: str, scale: int, channels: int, degradation: str) -> benchmark.Sample:
  """The image as sr_jax.evaluate reads it (mod-crop, LR made by `degradation`)."""
  if not os.path.isfile(path):
    raise FileNotFoundError(f"{path}: no such image")
  return benchmark.load_set(path, scale, channels, benchmark.DEGRADATIONS[degradation])[0]


def textured_box(hr: np.ndarray, side: int) -> tuple[int, int, int, int]:
  """(x, y, side, side): the square with the largest sum of squared luma gradients."""
  y = (images.rgb_to_y_uint8(hr) if hr.shape[-1] == 3 else hr)[..., 0].astype(np.float64)
  energy = np.zeros_like(y)
  energy[:, :-1] += np.diff(y, axis=1) ** 2
  energy[:-1] += np.diff(y, axis=0) ** 2
  table = np.pad(energy.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
  sums = (table[side:, side:] - table[:-side, side:] - table[side:, :-side]
          + table[:-side, :-side])
  top, left = np.unravel_index(np.argmax(sums), sums.shape)
  return int(left), int(top), side, side


def parse_box(box: list[str] | None, hr: np.ndarray) -> tuple[int, int, int, int]:
  """--box as (x, y, w, h) inside the mod-cropped HR, or the default textured square."""
  h, w = hr.shape[:2]
  if box is None:
    return textured_box(hr, max(1, min(h, w) // 4))
  try:
    x0, y0, bw, bh = (int(v) for v in box)
  except ValueError:
    raise config_lib.ConfigError(f"--box={','.join(box)}: expected four integers x,y,w,h") from None
  if bw < 1 or bh < 1 or x0 < 0 or y0 < 0 or x0 + bw > w or y0 + bh > h:
    raise config_lib.ConfigError(f"--box={','.join(box)} does not fit in the {w}x{h} image "
                                 f"(cropped to a multiple of the scale)")
  return x0, y0, bw, bh


def load_methods(scale: int, workdirs=(), weights_files=(), models=(), step: int | None = None,
                 mirror: str | None = None) -> list[inference.Generator]:
  """The generators of training runs (at `step`, default their latest checkpoint), weights files
  and official releases, in that order, each checked to be of `scale` before anything compiles.
  A workdir without checkpoints is a FileNotFoundError naming it (and is not created)."""
  generators = ([inference.from_run(w, step) for w in workdirs]
                + [inference.from_weights(w) for w in weights_files]
                + [inference.from_release(m, mirror=mirror) for m in models])
  if not generators:
    raise config_lib.ConfigError("name a method: --workdir, --weights or --model")
  for generator in generators:
    inference.check_scale(generator, scale)
  return generators


def pad_multiple(generator: inference.Generator | None) -> int:
  """sr_jax.evaluate's default padding (--pad_multiple=0): only what the model needs, none for
  the bicubic baseline (None). The padding changes SR near the borders, so it must be the same."""
  return generator.size_multiple if generator is not None else 1


def evaluate_image(sample: benchmark.Sample, predict, variables, scale: int, multiple: int):
  """(per-image metrics, SR uint8) through Benchmark, as sr_jax.evaluate measures them (LR
  padded to multiples of `multiple`: pad_multiple)."""
  bench = benchmark.Benchmark({"set": [sample]}, scale, multiple, 1, sharding.make_mesh())
  results, kept = bench.run(bench.compile(predict), variables, keep_images=1)
  row = dict(results["set"]["images"][0])
  del row["name"]
  return row, kept[f"set/{sample.name}"]


def zoomed_crop(img: np.ndarray, box, zoom: int) -> np.ndarray:
  """The box of `img`, nearest-neighbour zoomed, as RGB (Y-channel runs shown in gray)."""
  x0, y0, w, h = box
  crop = img[y0:y0 + h, x0:x0 + w]
  crop = np.repeat(np.repeat(crop, zoom, axis=0), zoom, axis=1)
  return np.repeat(crop, 3, axis=-1) if crop.shape[-1] == 1 else crop


def _label_strip(width: int, lines: list[str]) -> Image.Image:
  """Text under a panel, clipped to its width so long labels never cover a neighbour."""
  strip = Image.new("RGB", (width, LABEL_HEIGHT), "white")
  draw = ImageDraw.Draw(strip)
  font = ImageFont.load_default()
  for i, text in enumerate(lines):
    draw.text((2, 2 + i * LINE), text, fill="black", font=font)
  return strip


def render(hr: np.ndarray, box, zoom: int, title: str,
           crops: list[tuple[np.ndarray, list[str]]]) -> np.ndarray:
  """The figure as (H, W, 3) uint8: [HR overview | crop of each image] with label strips.

  hr: RGB; crops: (full-size image, label lines) per panel. Geometry: panels h·zoom high,
  GAP apart and from the border, each with a LABEL_HEIGHT strip under it; the overview is the
  HR scaled by min(1, h·zoom / H) (box-filter downsizing), top-left aligned in its slot.
  """
  x0, y0, w, h = box
  panel_h = h * zoom
  f = min(1.0, panel_h / hr.shape[0])
  size = (max(1, round(hr.shape[1] * f)), max(1, round(hr.shape[0] * f)))
  overview = Image.fromarray(hr).resize(size, Image.Resampling.BOX)
  ImageDraw.Draw(overview).rectangle(
      [x0 * f, y0 * f, (x0 + w) * f - 1, (y0 + h) * f - 1], outline=BOX_COLOUR, width=BOX_WIDTH)
  panels = [(overview, [title, f"box {x0},{y0},{w},{h}"])]
  panels += [(Image.fromarray(zoomed_crop(img, box, zoom)), lines) for img, lines in crops]
  width = GAP + sum(p.width + GAP for p, _ in panels)
  figure = Image.new("RGB", (width, GAP + panel_h + LABEL_HEIGHT + GAP), "white")
  x = GAP
  for panel, lines in panels:
    figure.paste(panel, (x, GAP))
    figure.paste(_label_strip(panel.width, lines), (x, GAP + panel_h))
    x += panel.width + GAP
  return np.asarray(figure)


def define_flags():
  """The CLI's flags, defined only when run as a program: tests import the module beside
  others whose flags share these names (evaluate's --scale, prepare's --out)."""
  flags.DEFINE_string("hr", None, "The HR image.")
  flags.DEFINE_integer("scale", None, "Upscaling factor; every run must have been trained at it.")
  inference.define_flags(multiple=True)
  flags.DEFINE_list("labels", None, "A label per method, in the order workdirs, weights, models "
                    "(default: their folder, file or release names).")
  flags.DEFINE_list("box", None, "Crop x,y,w,h in HR pixels (default: the most textured square).")
  flags.DEFINE_integer("zoom", None, "Nearest-neighbour zoom of the crops (default: ≤256 px).")
  flags.DEFINE_enum("degradation", "bicubic", list(benchmark.DEGRADATIONS),
                    "How LR is made from HR, as in sr_jax.evaluate.")
  flags.DEFINE_string("out", None, "The figure (PNG); the numbers go beside it as .json.")
  flags.mark_flags_as_required(["hr", "scale", "out"])
  flags.register_validator("zoom", lambda z: z is None or z >= 1, "--zoom must be at least 1")


def main(argv):
  del argv
  scale = FLAGS.scale
  inference.list_models_if_asked()
  samples = {3: load_sample(FLAGS.hr, scale, 3, FLAGS.degradation)}
  runs = load_methods(scale, FLAGS.workdir or (), FLAGS.weights or (), FLAGS.model or (),
                      FLAGS.step, FLAGS.mirror)
  labels = FLAGS.labels or [os.path.basename(os.path.normpath(g.source)).split(".")[0]
                            for g in runs]
  if len(labels) != len(runs):
    sys.exit(f"error: --labels has {len(labels)} entries for {len(runs)} methods")
  for generator in runs:
    if generator.channels not in samples:
      samples[generator.channels] = load_sample(FLAGS.hr, scale, generator.channels,
                                                FLAGS.degradation)
  box = parse_box(FLAGS.box, samples[3].hr)
  hr = samples[3].hr
  zoom = FLAGS.zoom or max(1, PANEL // max(box[2], box[3]))

  jobs = [("Bicubic", "bicubic", None, samples[3], benchmark.bicubic_predict(scale), {},
           pad_multiple(None))]
  for label, generator in zip(labels, runs):
    jobs.append((label, generator.source, generator.step, samples[generator.channels],
                 generator.predict, generator.variables, pad_multiple(generator)))
  rows, crops = [], [(hr, ["HR", "PSNR-Y / SSIM-Y"])]
  for label, source, step, sample, predict, variables, multiple in jobs:
    metrics, sr = evaluate_image(sample, predict, variables, scale, multiple)
    rows.append({"label": label, "source": source, "step": step, **metrics})
    crops.append((sr, [label, f"{metrics['psnr_y']:.2f} / {metrics['ssim_y']:.4f}"]))
    print(f"{label:<16} PSNR-Y {metrics['psnr_y']:.4f}  SSIM-Y {metrics['ssim_y']:.4f}")

  out = pathlib.Path(FLAGS.out)
  out.parent.mkdir(parents=True, exist_ok=True)
  Image.fromarray(render(hr, box, zoom, samples[3].name, crops)).save(out)
  out_json = out.with_suffix(".json")
  with open(out_json, "w") as f:
    json.dump({"image": samples[3].name, "scale": scale, "degradation": FLAGS.degradation,
               "box": list(box), "zoom": zoom, "results": rows}, f, indent=1)
  print(f"wrote {out} and {out_json}")


if __name__ == "__main__":
  define_flags()
  cli.run(main)
