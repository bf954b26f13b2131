"""python -m sr_jax.evaluate --hr_dir=SET[,SET...] [--scale=S]
    (--workdir=W[,W...] | --weights=FILE[,...] | --model=NAME[,...] | --baseline=bicubic)...
    [--labels=A,B,...] [--metrics=psnr,ssim,ifc,vif,vif_p,ms_ssim,niqe,lpips] [--lpips_net=alex]
    [--task=imagenet_vgg19 [--task_weights=FILE]]
    [--json=OUT] [--table=OUT.md] [--latex=OUT.tex] [--degradation=bicubic|bd|dn]
    [--self_ensemble] [--tile=T --tile_overlap=O]

Evaluates trained runs, weights files, official releases and the MATLAB-bicubic baseline — any
number of each — on sets of HR images (set names under $SR_JAX_DATA, folders, files, or
skimage:name,name) with the field's protocol (sr_jax.metrics.image_quality): per-image and mean
PSNR-Y, SSIM-Y and PSNR-RGB of every (method, set), then the comparison table SR papers print
(methods × sets × metrics, the best bold: sr_jax.metrics.table), as Markdown on the console and
in --table, as LaTeX in --latex; --json holds every number. --metrics adds the fidelity metrics
(IFC, VIF, VIF-P, MS-SSIM: sr_jax.metrics.fidelity) and the perceptual ones (NIQE; LPIPS with
--lpips_net's backbone); --task adds task-based evaluation, the agreement of a recognition model's
top-1 / top-5 predictions on SR with its predictions on HR (sr_jax.metrics.tasks). A run's or
weights file's means on a set named in the data catalog, under
the standard protocol, are recorded in its model card. --self_ensemble reports the ×8
self-ensemble (EDSR+, RCAN+); --tile bounds the memory of large images (SwinIR, RRDBNet).
"""
import json
import pathlib

from absl import flags
import numpy as np

from sr_jax import cli, inference
from sr_jax import config as config_lib
from sr_jax.data import root as data_root
from sr_jax.metrics import benchmark, fidelity, perceptual_quality, predictors, table, tasks
from sr_jax.train import sharding

FLAGS = flags.FLAGS
BASE_METRICS = ("psnr", "ssim")  # always measured: PSNR-Y, SSIM-Y, PSNR-RGB
METRICS = (*BASE_METRICS, *fidelity.METRICS, "niqe", "lpips")
flags.DEFINE_list("hr_dir", None, "Sets of HR images: set names, folders, images, skimage:a,b.")
flags.DEFINE_integer("scale", None, "Upscaling factor (default: the runs'; required for "
                     "--baseline alone).")
inference.define_flags(multiple=True)
flags.DEFINE_list("baseline", [], "Baselines to evaluate too: bicubic.")
flags.DEFINE_list("labels", None, "A name per method, in the order workdirs, weights, models, "
                  "baselines (default: folder, file or release names).")
flags.DEFINE_list("metrics", list(BASE_METRICS), f"What to measure: {', '.join(METRICS)}.")
flags.DEFINE_enum("lpips_net", "vgg", ["vgg", "alex"],
                  "LPIPS's backbone (weights: python -m sr_jax.tools.vgg --lpips=NET).")
flags.DEFINE_enum("task", None, sorted(tasks.TASKS),
                  "Task-based evaluation: a recognition model's agreement on SR with HR.")
flags.DEFINE_string("task_weights", None, "The --task model's weights (default: its file in the "
                    "sr_jax cache; python -m sr_jax.tools.vgg --fetch --classifier).")
flags.DEFINE_string("niqe_params", None,
                    "niqe_pris_params.npz (default: $SR_JAX_NIQE_PARAMS, else the one shipped).")
flags.DEFINE_enum("degradation", "bicubic", list(benchmark.DEGRADATIONS),
                  "How LR is made from HR: MATLAB bicubic, or RDN's BD / DN (fixed noise seed).")
flags.DEFINE_string("json", None, "Write every number here as JSON.")
flags.DEFINE_string("table", None, "Write the comparison table here as Markdown.")
flags.DEFINE_string("latex", None, "Write the comparison table here as LaTeX (booktabs).")
flags.DEFINE_integer("pad_multiple", 0, "Pad LR sizes to multiples of this, batching images of a "
                     "size bucket into one compile (0: only what the model needs: borders as the "
                     "reference code sees them).")
flags.DEFINE_integer("batch_size", 1, "Images per evaluation batch.")
flags.DEFINE_bool("self_ensemble", False, "Average the 8 flips/transpositions of each input.")
flags.DEFINE_integer("tile", 0, "Super-resolve LR tiles of this side (0: whole images).")
flags.DEFINE_integer("tile_overlap", 32, "LR pixels shared by neighbouring tiles.")
flags.register_multi_flags_validator(
    ["tile", "tile_overlap"], lambda f: not f["tile"] or 0 <= f["tile_overlap"] < f["tile"],
    "--tile_overlap must be in [0, --tile)")
flags.mark_flag_as_required("hr_dir")


def _name(spec: str) -> str:
  """A short name for a set or method spec: a catalog name as it is, a folder's name (its
  parent's for an HR/ folder), a file's stem."""
  if spec.startswith("skimage:") or data_root.is_name(spec) or "/" not in spec:
    return spec.split(":")[0] if spec.startswith("skimage:") else spec
  path = pathlib.Path(spec)
  if path.is_file():
    return path.stem
  return path.parent.name if path.name == "HR" else path.name


def _methods() -> list[tuple[str, inference.Generator | None]]:
  """(label, generator; None for the bicubic baseline) of every method named, in order."""
  unknown = sorted(set(FLAGS.baseline) - {"bicubic"})
  if unknown:
    raise config_lib.ConfigError(f"--baseline: unknown {', '.join(unknown)} (known: bicubic)")
  generators = inference.all_from_flags()
  if not generators and not FLAGS.baseline:
    raise config_lib.ConfigError("name something to evaluate: --workdir, --weights, --model or "
                                 "--baseline=bicubic")
  names = [_name(g.source) for g in generators] + ["Bicubic"] * len(FLAGS.baseline)
  labels = FLAGS.labels or names
  if len(labels) != len(names):
    raise config_lib.ConfigError(f"--labels has {len(labels)} names for {len(names)} methods")
  return list(zip(labels, generators + [None] * len(FLAGS.baseline)))


def _scale(methods) -> int:
  scales = {g.scale for _, g in methods if g is not None}
  if FLAGS.scale:
    for _, g in methods:
      if g is not None:
        inference.check_scale(g, FLAGS.scale)
    return FLAGS.scale
  if len(scales) != 1:
    raise config_lib.ConfigError("--scale is required: " + (
        "a baseline alone has none" if not scales else f"the methods have scales {sorted(scales)}"))
  return scales.pop()


def _extra_scores(result: dict, samples, srs: dict, scale: int, names, perceptual) -> None:
  """Adds the fidelity and perceptual metrics to each image row of `result` and its mean."""
  by_name = {s.name: s for s in samples}
  fid = [n for n in names if n in fidelity.METRICS]
  for row in result["images"]:
    if fid:
      row.update(fidelity.scores(srs[row["name"]], by_name[row["name"]].hr, scale, fid))
  perceptual_quality.add_scores(result, samples, srs, scale, *perceptual)
  for name in fid:
    result["mean"][name] = float(np.mean([row[name] for row in result["images"]]))


def evaluate(generator, samples, scale: int, names, perceptual, task=None) -> dict:
  """{'mean', 'images'} of one method on one set's samples."""
  predict, variables = ((generator.predict, generator.variables) if generator is not None
                        else (benchmark.bicubic_predict(scale), {}))
  multiple = FLAGS.pad_multiple or (generator.size_multiple if generator is not None else 1)
  bench = benchmark.Benchmark({"set": samples}, scale, multiple, FLAGS.batch_size,
                              sharding.make_mesh())
  predict = predictors.for_evaluation(predict, scale, FLAGS.self_ensemble, FLAGS.tile,
                                      FLAGS.tile_overlap)
  extra = [n for n in names if n not in BASE_METRICS]
  keep = extra or task is not None
  results, kept = bench.run(bench.compile(predict), variables, len(samples) if keep else 0)
  result = results["set"]
  srs = {k.split("/", 1)[1]: v for k, v in kept.items()}
  if extra:
    _extra_scores(result, samples, srs, scale, names, perceptual)
  if task is not None:
    tasks.add_scores(result, samples, srs, task)
  return result


def _print(label: str, set_name: str, result: dict) -> None:
  keys = list(result["mean"])
  print(f"\n{label} on {set_name}")
  print("image".ljust(16) + "".join(k.rjust(10) for k in keys))
  for row in result["images"] + [{"name": "mean", **result["mean"]}]:
    print(row["name"].ljust(16) + "".join(f"{row[k]:10.4f}" for k in keys))


def _standard_protocol() -> bool:
  return (FLAGS.degradation == "bicubic" and not FLAGS.self_ensemble and not FLAGS.tile)


def main(argv):
  del argv
  inference.list_models_if_asked()
  names = list(FLAGS.metrics)
  unknown = [n for n in names if n not in METRICS]
  if unknown:
    raise config_lib.ConfigError(f"--metrics: unknown {', '.join(unknown)}; known: "
                                 f"{', '.join(METRICS)}")
  methods = _methods()
  scale = _scale(methods)
  channels = {g.channels if g is not None else 3 for _, g in methods}
  if FLAGS.task and channels != {3}:
    raise config_lib.ConfigError(f"--task={FLAGS.task} classifies RGB images; a method here "
                                 "super-resolves one channel")
  sets = {spec: {c: benchmark.load_set(spec, scale, c, benchmark.DEGRADATIONS[FLAGS.degradation])
                 for c in channels} for spec in FLAGS.hr_dir}  # bad data fails before compiling
  perceptual = perceptual_quality.load("niqe" in names, FLAGS.niqe_params,
                                       FLAGS.lpips_net if "lpips" in names else None)
  try:
    task = tasks.load(FLAGS.task, FLAGS.task_weights) if FLAGS.task else None
  except ValueError as e:  # a weights file without what the task needs
    raise config_lib.ConfigError(f"--task={FLAGS.task}: {e}") from e
  rows = []
  for label, generator in methods:
    if generator is not None:
      print(generator.describe())
    for spec, by_channels in sets.items():
      samples = by_channels[generator.channels if generator is not None else 3]
      result = evaluate(generator, samples, scale, names, perceptual, task)
      set_name = _name(spec)
      _print(label, set_name, result)
      rows.append({"method": label, "set": set_name, "scale": scale, "source": getattr(
          generator, "source", "bicubic"), "metrics": result["mean"], "images": result["images"]})
      if generator is not None and data_root.is_name(spec) and _standard_protocol():
        inference.record_evaluation(generator, spec, result["mean"],
                                    f"x{scale}, Y channel, crop {scale}, MATLAB bicubic LR")
  markdown = table.to_markdown(rows)
  print("\n" + markdown)
  if FLAGS.table:
    pathlib.Path(FLAGS.table).write_text(markdown)
  if FLAGS.latex:
    pathlib.Path(FLAGS.latex).write_text(table.to_latex(rows))
  if FLAGS.json:
    pathlib.Path(FLAGS.json).write_text(json.dumps({"scale": scale, "results": rows}, indent=1))


if __name__ == "__main__":
  cli.run(main)
