"""python -m sr_jax.evaluate --hr_dir=DIR --scale=S (--workdir=W | --baseline=bicubic) [--json=OUT]
    [--degradation=bicubic|bd|dn] [--self_ensemble] [--tile=T --tile_overlap=O]
    [--niqe [--niqe_params=NPZ]] [--lpips=vgg|alex]

Evaluates a trained run (its EMA parameters when it has them) or the MATLAB-bicubic
baseline on a folder of HR images, with the field's protocol (sr_jax.metrics.image_quality),
and prints per-image and mean PSNR-Y / SSIM-Y / PSNR-RGB. --self_ensemble reports the ×8
self-ensemble (EDSR+, RCAN+); --tile bounds the memory of large images (SwinIR, RRDBNet).
--niqe and --lpips add the perceptual metrics of GAN runs (sr_jax.metrics.perceptual_quality).
"""
import json
import sys

from absl import flags

from sr_jax import cli, inference
from sr_jax import config as config_lib
from sr_jax.metrics import benchmark, perceptual_quality, predictors
from sr_jax.train import sharding

FLAGS = flags.FLAGS
flags.DEFINE_string("hr_dir", None, "Folder of HR images, one image, or skimage:name,name.")
flags.DEFINE_integer("scale", None, "Upscaling factor; defaults to the run's.")
flags.DEFINE_string("workdir", None, "A training run to evaluate (latest checkpoint).")
flags.DEFINE_enum("baseline", None, ["bicubic"], "Evaluate a baseline instead of a run.")
flags.DEFINE_integer("step", None, "Checkpoint step (default: latest).")
flags.DEFINE_enum("degradation", "bicubic", list(benchmark.DEGRADATIONS),
                  "How LR is made from HR: MATLAB bicubic, or RDN's BD / DN (fixed noise seed).")
flags.DEFINE_string("json", None, "Write the results here as JSON.")
flags.DEFINE_integer("pad_multiple", 16, "LR sizes are padded to multiples of this.")
flags.DEFINE_integer("batch_size", 1, "Images per evaluation batch.")
flags.DEFINE_bool("self_ensemble", False, "Average the 8 flips/transpositions of each input.")
flags.DEFINE_integer("tile", 0, "Super-resolve LR tiles of this side (0: whole images).")
flags.DEFINE_integer("tile_overlap", 32, "LR pixels shared by neighbouring tiles.")
flags.DEFINE_bool("niqe", False, "Also report NIQE (no-reference; lower is better).")
flags.DEFINE_string("niqe_params", None,
                    "niqe_pris_params.npz (default: $SR_JAX_NIQE_PARAMS, else the one shipped with sr_jax).")
flags.DEFINE_enum("lpips", None, ["vgg", "alex"],
                  "Also report LPIPS with this backbone (weights: python -m sr_jax.tools.vgg).")
flags.register_multi_flags_validator(
    ["tile", "tile_overlap"], lambda f: not f["tile"] or 0 <= f["tile_overlap"] < f["tile"],
    "--tile_overlap must be in [0, --tile)")
flags.mark_flag_as_required("hr_dir")


def _run_predictor():
  """(predict, variables, scale, channels) from --workdir or --baseline."""
  if FLAGS.baseline:
    if not FLAGS.scale:
      raise config_lib.ConfigError("--scale is required with --baseline")
    return benchmark.bicubic_predict(FLAGS.scale), {}, FLAGS.scale, 3
  generator = inference.from_run(FLAGS.workdir, FLAGS.step)
  inference.check_scale(generator, FLAGS.scale)
  print(generator.describe())
  return generator.predict, generator.variables, generator.scale, generator.channels


def main(argv):
  del argv
  if bool(FLAGS.workdir) == bool(FLAGS.baseline):
    sys.exit("error: give exactly one of --workdir and --baseline")
  predict, variables, scale, channels = _run_predictor()
  samples = benchmark.load_set(FLAGS.hr_dir, scale, channels,
                               benchmark.DEGRADATIONS[FLAGS.degradation])
  niqe_params, lpips_net = perceptual_quality.load(FLAGS.niqe, FLAGS.niqe_params, FLAGS.lpips)
  bench = benchmark.Benchmark({"set": samples}, scale, FLAGS.pad_multiple, FLAGS.batch_size,
                              sharding.make_mesh())
  predict = predictors.for_evaluation(predict, scale, FLAGS.self_ensemble, FLAGS.tile,
                                      FLAGS.tile_overlap)
  keep = len(samples) if FLAGS.niqe or FLAGS.lpips else 0  # the perceptual metrics need every SR
  results, kept = bench.run(bench.compile(predict), variables, keep)
  result = perceptual_quality.add_scores(
      results["set"], samples, {k.split("/", 1)[1]: v for k, v in kept.items()}, scale,
      niqe_params, lpips_net)
  keys = list(result["mean"])
  print("image".ljust(16) + "".join(k.rjust(10) for k in keys))
  for row in result["images"] + [{"name": "mean", **result["mean"]}]:
    print(row["name"].ljust(16) + "".join(f"{row[k]:10.4f}" for k in keys))
  if FLAGS.json:
    with open(FLAGS.json, "w") as f:
      json.dump(result, f, indent=1)


if __name__ == "__main__":
  cli.run(main)
