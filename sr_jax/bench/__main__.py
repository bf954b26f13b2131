"""python -m sr_jax.bench --config=configs/NAME.py[:preset] [--batch=16 --patch=48] [--steps=8]
    [--rounds=3] [--warmup=3] [--data=random,real] [--torch [--torch_variants=fp32,bf16,compile]]
    [--json=OUT.json] [--results=bench/RESULTS.md] [--compilation_cache=DIR] [--config.key=value]

--patch is the LR patch side (HR = patch × scale). Every rate is the median of --rounds rounds
of --steps timed steps; with --torch, each round times JAX's step and then PyTorch's (A/B
interleaved), and the load average before and after is part of the result. Prints a summary,
writes the full result as JSON with --json, and appends a row to a results table only when
--results names one. Flags live here, not in the package, so that
`python -m sr_jax.bench.input` (same flag names) can import the package.
"""
import json
import sys

from absl import app, flags
from ml_collections import config_flags

from sr_jax import bench, cache, cli

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file("config", None, "Recipe: configs/NAME.py[:preset].")
flags.DEFINE_integer("batch", None, "Global batch (default: the config's train.batch_size).")
flags.DEFINE_integer("patch", None, "LR patch side (default: the config's hr_patch / scale).")
flags.DEFINE_integer("steps", 8, "Timed steps per round.")
flags.DEFINE_integer("rounds", 3, "Rounds per rate (the median is reported); JAX and PyTorch "
                     "alternate within each.")
flags.DEFINE_integer("warmup", 3, "Untimed steps before each measurement.")
flags.DEFINE_list("data", list(bench.DATA_MODES),
                  "Step inputs: 'random' (one device-resident batch), 'real' (the grain pipeline).")
flags.DEFINE_bool("torch", False, "Also time the PyTorch reference step (needs sr_jax[bench]).")
flags.DEFINE_list("torch_variants", ["fp32", "bf16"],
                  "PyTorch variants: fp32, bf16 (autocast), compile (torch.compile, slow to build).")
flags.DEFINE_string("json", None, "Write the full result here.")
flags.DEFINE_string("results", "", "Append a row to this table (e.g. bench/RESULTS.md); '' skips.")
flags.DEFINE_string("compilation_cache", cache.DEFAULT_DIR,
                    "Persistent XLA compilation cache directory ('' disables).")
flags.mark_flag_as_required("config")


def _summary(r: dict) -> str:
  lines = [f"{r['config']} {' '.join(r['overrides'])}: batch {r['batch']}, LR patch "
           f"{r['lr_patch']} on {r['device']} ({r['backend']})",
           f"  compile {r['compile_s']:.1f} s; analytic step {r['flops']['analytic_step'] / 1e9:.2f}"
           f" GFLOP, XLA {(r['flops']['xla_step'] or 0) / 1e9:.2f} GFLOP",
           f"  input pipeline alone: {r['input_patches_per_s']:.1f} patches/s"]
  for mode, s in r["step"].items():
    lines.append(f"  step ({mode} input): {s['steps_per_s']:.3f} steps/s, "
                 f"{s['patches_per_s']:.1f} patches/s, {s['tflops_per_s']:.3f} TFLOP/s "
                 f"(median of {_rounds(s)})")
  for variant, t in (r.get("torch") or {}).items():
    lines.append(f"  torch {variant}: {t['steps_per_s']:.3f} steps/s (median of {_rounds(t)}) → "
                 f"JAX/torch {t['jax_over_torch']:.2f}")
  load = r["load_average"]
  lines.append(f"  load average (1/5/15 min) before {_load(load['before'])}, "
               f"after {_load(load['after'])}")
  return "\n".join(lines)


def _rounds(s: dict) -> str:
  return ", ".join(f"{rate:.3f}" for rate in s["rounds"])


def _load(values) -> str:
  return " ".join(f"{v:.2f}" for v in values)


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
  bad = set(FLAGS.data) - set(bench.DATA_MODES)
  if bad or not FLAGS.data:
    raise app.UsageError(f"--data: {', '.join(bad) or 'empty'}; choose from random, real")
  cache_dir = cache.enable(FLAGS.compilation_cache)
  config = FLAGS.config
  if FLAGS.batch:
    config.train.batch_size = FLAGS.batch
  if FLAGS.patch:
    config.data.hr_patch = FLAGS.patch * config.scale
  if FLAGS.rounds < 1 or FLAGS.steps < 1:
    raise app.UsageError("--rounds and --steps must be >= 1")
  if FLAGS.torch:  # fail before minutes of JAX work
    if "random" not in FLAGS.data:
      raise app.UsageError("--torch compares with the random-input step: add random to --data")
    try:
      bench.torch_references().check_config(config)
    except (RuntimeError, ValueError) as e:
      sys.exit(f"error: {e}")
  result = bench.measure(config, FLAGS.steps, FLAGS.warmup, FLAGS.data,
                         FLAGS.torch_variants if FLAGS.torch else (), FLAGS.rounds)
  result.update(bench.environment())
  result.update(config=config_flags.get_config_filename(FLAGS["config"]),
                overrides=[a for a in sys.argv[1:] if a.startswith("--config.")],
                model=config.model.name, dtype=config.model.dtype, scale=config.scale,
                batch=config.train.batch_size, lr_patch=config.data.hr_patch // config.scale,
                steps=FLAGS.steps, warmup=FLAGS.warmup, compilation_cache=cache_dir)
  print(_summary(result))
  if FLAGS.json:
    with open(FLAGS.json, "w") as f:
      json.dump(result, f, indent=1)
  if FLAGS.results:
    bench.append_results(FLAGS.results, result)


if __name__ == "__main__":
  cli.run(main)
