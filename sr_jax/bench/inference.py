"""python -m sr_jax.bench.inference (--config=configs/NAME.py[:preset] | --workdir=RUN)
    [--sets=Set5,Set14] [--out_size=3840x2160] [--tile=N --tile_overlap=M] [--batch=B]
    [--steps=N] [--warmup=W] [--parts=eval,tiled] [--torch] [--json=OUT.json]
    [--config.key=value]

Evaluation and inference speed of a config's model (random-init weights) or of a trained run's
(its EMA parameters when it has them), on the current backend:
- eval: the validation sets (`config.val.sets`, or the --sets named there) through
  `metrics.benchmark.Benchmark` as training validation runs them (size buckets padded to
  val.pad_multiple, val.self_ensemble / val.tile, one jit), twice. The first pass compiles, the
  second is warm; XLA compilations are counted during each (jax.monitoring's backend-compile
  event, which every executable goes through, persistent-cache loads included), so one per
  bucket and none warm says there are no per-image recompiles.
- tiled: one random uint8 LR image of out_size / scale (WIDTHxHEIGHT of the output) through
  `predictors.tiled`, jitted: compile s, s per image after --warmup calls (`bench.timed`,
  synchronised), output megapixels/s, peak device memory (None on CPU) and XLA's size estimate.
  With --torch (sr_jax[bench]), the same network in PyTorch eager, float32, on the same tiles with
  the same blend weights (`torch_models.TiledUpscale`, random init), timed in the same run: each
  of --steps rounds times one JAX image, then one PyTorch image; medians, PyTorch's thread count
  and the load average before and after are reported.
"""
import json
import os
import re
import statistics
import sys
import time

from absl import app, flags
import jax
from jax import monitoring
import jax.numpy as jnp
import numpy as np
from ml_collections import config_flags

from sr_jax import bench, cli, inference, models
from sr_jax import config as config_lib
from sr_jax.metrics import benchmark, image_quality, predictors
from sr_jax.train import sharding

PARTS = ("eval", "tiled")
DEFAULT_TILE = 256
_BACKEND_COMPILE = "/jax/core/compile/backend_compile_duration"
_CACHE_HIT = "/jax/compilation_cache/cache_hits"

FLAGS = flags.FLAGS


class InputError(config_lib.ConfigError):
  """A flag value that cannot work; the message names the flag."""


class CompileCounter:
  """Counts XLA compilations in a `with` block (all of the process's, jit or eager), and how
  many of them the persistent compilation cache served."""

  def __enter__(self):
    self.compiles = self.cache_hits = 0
    self.seconds = 0.0
    monitoring.register_event_duration_secs_listener(self._on_duration)
    monitoring.register_event_listener(self._on_event)
    return self

  def __exit__(self, *exc):
    monitoring.unregister_event_duration_listener(self._on_duration)
    monitoring.unregister_event_listener(self._on_event)

  def _on_duration(self, event, duration, **kwargs):
    del kwargs
    if event == _BACKEND_COMPILE:
      self.compiles += 1
      self.seconds += duration

  def _on_event(self, event, **kwargs):
    del kwargs
    self.cache_hits += event == _CACHE_HIT


def parse_size(text: str, scale: int) -> tuple[int, int]:
  """'3840x2160' → (3840, 2160), both multiples of `scale`, or InputError naming --out_size."""
  match = re.fullmatch(r"(\d+)[x×](\d+)", text.strip())
  if not match or 0 in (size := tuple(int(g) for g in match.groups())):
    raise InputError(f"--out_size={text}: expected WIDTHxHEIGHT in pixels, e.g. 3840x2160")
  if size[0] % scale or size[1] % scale:
    raise InputError(f"--out_size={text}: width and height must be multiples of the scale {scale}")
  return size


def _choose_sets(config, names) -> dict[str, str]:
  if not names:
    return dict(config.val.sets)
  unknown = [n for n in names if n not in config.val.sets]
  if unknown:
    raise InputError(f"--sets: no set {', '.join(unknown)} in val.sets "
                     f"({', '.join(config.val.sets) or 'none'})")
  return {n: config.val.sets[n] for n in names}


def _tiles(size: int, tile: int, overlap: int) -> int:
  """Tile positions along one axis, as `predictors.tiled` places them."""
  return len(predictors.tile_starts(size, min(tile, size), overlap))


def measure_eval(config, sets: dict[str, list[benchmark.Sample]], variables, predict,
                 batch: int) -> dict:
  """Two passes of the benchmark sets: compilations and wall time of each."""
  bench_ = benchmark.Benchmark(sets, config.scale, config.val.pad_multiple, batch,
                               sharding.make_mesh())
  evaluate_batch = bench_.compile(predictors.for_evaluation(
      predict, config.scale, config.val.self_ensemble, config.val.tile, config.val.tile_overlap))
  shapes = bench_.batch_shapes()
  samples = [s for set_samples in sets.values() for s in set_samples]
  out_pixels = sum(s.hr.shape[0] * s.hr.shape[1] for s in samples)
  passes = []
  for _ in range(2):
    with CompileCounter() as counter:
      t0 = time.perf_counter()
      results, _ = bench_.run(evaluate_batch, variables)  # synchronised: metrics are fetched
      wall_s = time.perf_counter() - t0
    passes.append({"wall_s": wall_s, "compilations": counter.compiles,
                   "compile_s": counter.seconds, "persistent_cache_hits": counter.cache_hits})
  cache_size = getattr(evaluate_batch, "_cache_size", None)
  first, warm = passes
  return {"sets": {name: len(s) for name, s in sets.items()}, "images": len(samples),
          "batch": next(iter(shapes))[0] if shapes else batch,
          "batches": sum(shapes.values()), "buckets": len(shapes),
          "bucket_shapes": [list(s) for s in sorted(shapes)],
          "output_megapixels": out_pixels / 1e6,
          "computed_output_megapixels": float(sum(  # padding and batch fillers included
              n * np.prod(shape[:3]) * config.scale**2 for shape, n in shapes.items()) / 1e6),
          "first_pass": first, "warm_pass": warm,
          "jit_cache_entries": cache_size() if cache_size else None,
          "images_per_s": len(samples) / warm["wall_s"],
          "output_megapixels_per_s": out_pixels / 1e6 / warm["wall_s"],
          "one_compile_per_bucket": first["compilations"] == len(shapes)
                                    and warm["compilations"] == 0,
          "mean_psnr_y": {name: r["mean"].get("psnr_y") for name, r in results.items()}}


def _interleaved(jax_call, torch_call, rounds: int) -> dict:
  """Seconds of one JAX call, then one PyTorch call, `rounds` times (`bench.interleaved`):
  medians and the load."""
  load_before = os.getloadavg()
  rates = bench.interleaved({"jax": lambda n: bench.timed(jax_call, n, 0),
                             "torch": lambda n: bench.timed(torch_call, n, 0)}, 1, rounds)
  times = {name: [1 / r for r in rs] for name, rs in rates.items()}
  jax_s, torch_s = (statistics.median(times[k]) for k in ("jax", "torch"))
  return {"rounds": rounds, "jax_seconds_per_image": jax_s, "seconds_per_image": torch_s,
          "jax_over_torch": torch_s / jax_s, "jax_seconds": times["jax"],
          "torch_seconds": times["torch"],
          "load_average": {"before": load_before, "after": os.getloadavg()}}


def measure_tiled(config, variables, predict, out_size: tuple[int, int], tile: int,
                  overlap: int, steps: int, warmup: int, torch: bool = False) -> dict:
  """One random LR image of out_size / scale through `predictors.tiled`, uint8 in and out;
  with torch, against PyTorch's eager model on the same tiles, interleaved."""
  width, height = out_size
  lr_h, lr_w = height // config.scale, width // config.scale
  tiled = predictors.tiled(predict, config.scale, tile, overlap)

  def infer(variables, lr_u8):
    sr = tiled(variables, lr_u8.astype(jnp.float32) / 255.0)
    return image_quality.quantize(sr).astype(jnp.uint8)

  rng = np.random.default_rng(config.seed)
  lr = jax.device_put(rng.integers(0, 256, (1, lr_h, lr_w, config.channels), np.uint8))
  t0 = time.perf_counter()
  compiled = jax.jit(infer).lower(variables, lr).compile()
  compile_s = time.perf_counter() - t0
  rate = bench.timed(lambda: compiled(variables, lr), steps, warmup)
  assert compiled.out_info.shape == (1, height, width, config.channels), compiled.out_info
  reference = None
  if torch:
    torch_models = bench.torch_references()
    upscale = torch_models.TiledUpscale(config, np.asarray(lr), tile, overlap)
    for _ in range(warmup):
      upscale()
    reference = _interleaved(lambda: compiled(variables, lr), upscale, steps)
    reference.update(threads=torch_models.torch.get_num_threads(),
                     params=torch_models.param_count(upscale.model))
  memory = compiled.memory_analysis()
  xla_bytes = (memory.argument_size_in_bytes + memory.output_size_in_bytes
               + memory.temp_size_in_bytes) if memory else None
  megapixels = width * height / 1e6
  tiles = _tiles(lr_h, tile, overlap) * _tiles(lr_w, tile, overlap)
  return {"out_size": [width, height], "lr_size": [lr_w, lr_h], "tile": tile,
          "tile_overlap": overlap, "tiles": tiles,
          "tiled_over_image_pixels": tiles * min(tile, lr_h) * min(tile, lr_w) / (lr_h * lr_w),
          "compile_s": compile_s, "steps": steps, "warmup": warmup,
          "seconds_per_image": 1 / rate, "output_megapixels": megapixels,
          "megapixels_per_s": rate * megapixels,
          "peak_memory_bytes": bench.peak_memory(),
          "xla_memory_bytes": xla_bytes, "torch": reference}


def measure(config, variables=None, set_names=None, out_size="3840x2160", tile=None,
            tile_overlap=None, batch=None, steps=3, warmup=1, parts=PARTS,
            torch: bool = False) -> dict:
  """Everything for one model; bad inputs raise InputError (or DataError for the sets) before
  anything compiles. variables: None for random-init parameters."""
  bad = set(parts) - set(PARTS)
  if bad or not parts:
    raise InputError(f"--parts: {', '.join(sorted(bad)) or 'empty'}; choose from eval, tiled")
  size = parse_size(out_size, config.scale)
  tile = (config.val.tile or DEFAULT_TILE) if tile is None else tile
  tile_overlap = config.val.tile_overlap if tile_overlap is None else tile_overlap
  if tile < 1:
    raise InputError(f"--tile={tile}: must be > 0")
  if not 0 <= tile_overlap < tile:
    raise InputError(f"--tile_overlap={tile_overlap}: must be in [0, --tile={tile})")
  batch = config.val.batch_size if batch is None else batch
  if batch < 1:
    raise InputError(f"--batch={batch}: must be > 0")
  if steps < 1 or warmup < 0:
    raise InputError(f"--steps={steps}, --warmup={warmup}: need steps > 0 and warmup >= 0")
  if torch:  # before anything compiles: the extra and a reference of this model
    if "tiled" not in parts:
      raise InputError("--torch times tiled inference: add tiled to --parts")
    try:
      bench.torch_references().check_config(config)
    except ValueError as e:
      raise InputError(f"--torch: {e}") from e
  specs = _choose_sets(config, set_names)
  sets = {}
  if "eval" in parts:  # bad data fails here, before anything compiles
    degrade = benchmark.DEGRADATIONS.get(config.data.degradation,
                                         benchmark.DEGRADATIONS["bicubic"])
    sets = {name: benchmark.load_set(spec, config.scale, config.channels, degrade)
            for name, spec in specs.items()}

  model = models.from_config(config)
  if variables is None:
    variables = models.random_variables(model, config.seed)
  predict = inference.predict_fn(model)
  result = {"model": config.model.name, "scale": config.scale, "dtype": config.model.dtype,
            "params": sum(int(np.prod(x.shape)) for x in jax.tree.leaves(variables["params"]))}
  # Tiled first: the device's peak memory then is that of one tiled image (and the weights).
  if "tiled" in parts:
    result["tiled"] = measure_tiled(config, variables, predict, size, tile, tile_overlap,
                                    steps, warmup, torch)
  if "eval" in parts:
    result["eval"] = measure_eval(config, sets, variables, predict, batch)
  return result


def _summary(r: dict) -> str:
  lines = [f"{r['model']} x{r['scale']}, {r['params'] / 1e6:.3f} M params, {r['dtype']}, "
           f"{r['backend']} ({r['device_kind']})"]
  if "eval" in r:
    e = r["eval"]
    first, warm = e["first_pass"], e["warm_pass"]
    lines += [f"  eval {'+'.join(e['sets'])}: {e['images']} images, {e['buckets']} buckets "
              f"(batch {e['batch']}, {e['batches']} batches), compilations: "
              f"{first['compilations']} first pass, {warm['compilations']} warm",
              f"    first pass {first['wall_s']:.2f} s ({first['compile_s']:.1f} s compiling), "
              f"warm {warm['wall_s']:.2f} s: "
              f"{e['images_per_s']:.3g} images/s, {e['output_megapixels_per_s']:.3g} MP/s"]
  if "tiled" in r:
    t = r["tiled"]
    peak = t["peak_memory_bytes"]
    lines += [f"  tiled {t['out_size'][0]}x{t['out_size'][1]} (LR {t['lr_size'][0]}x"
              f"{t['lr_size'][1]}, tile {t['tile']}, overlap {t['tile_overlap']}: {t['tiles']} "
              f"tiles, ×{t['tiled_over_image_pixels']:.2f} the image's pixels)",
              f"    compile {t['compile_s']:.1f} s, {t['seconds_per_image']:.3g} s/image, "
              f"{t['megapixels_per_s']:.3g} output MP/s, peak mem "
              f"{'-' if peak is None else f'{peak / 2**30:.2f} GiB'}"]
    if t.get("torch"):
      p = t["torch"]
      lines.append(f"    interleaved, median of {p['rounds']}: JAX {p['jax_seconds_per_image']:.3g} "
                   f"s/image, PyTorch eager fp32 ({p['threads']} threads) "
                   f"{p['seconds_per_image']:.3g} s/image → JAX/torch {p['jax_over_torch']:.2f}")
  return "\n".join(lines)


def define_flags():
  """The CLI's flags, defined only when run as a program: `measure` imports without them
  (their names are those of sr_jax.evaluate, convert, zoo and prepare)."""
  config_flags.DEFINE_config_file("config", None, "Recipe: configs/NAME.py[:preset].")
  flags.DEFINE_string("workdir", None, "A training run: its config and (EMA) parameters.")
  flags.DEFINE_integer("step", None, "Checkpoint step of --workdir (default: latest).")
  flags.DEFINE_list("sets", None, "Validation sets to evaluate, by name (default: val.sets).")
  flags.DEFINE_string("out_size", "3840x2160", "Tiled inference output, WIDTHxHEIGHT.")
  flags.DEFINE_integer("tile", None, f"LR tile side (default: val.tile, else {DEFAULT_TILE}).")
  flags.DEFINE_integer("tile_overlap", None,
                       "LR pixels shared by tiles (default: val.tile_overlap).")
  flags.DEFINE_integer("batch", None, "Evaluation batch (default: val.batch_size).")
  flags.DEFINE_integer("steps", 3, "Timed tiled-inference calls.")
  flags.DEFINE_integer("warmup", 1, "Untimed tiled-inference calls after the compile.")
  flags.DEFINE_list("parts", list(PARTS), "What to measure: eval, tiled.")
  flags.DEFINE_bool("torch", False, "Also time PyTorch eager on the same tiles (sr_jax[bench]).")
  flags.DEFINE_string("json", None, "Write the full result here.")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
  if (FLAGS.config is None) == (FLAGS.workdir is None):
    sys.exit("error: give exactly one of --config and --workdir")
  if FLAGS.workdir:
    generator = inference.from_run(FLAGS.workdir, FLAGS.step)
    config, variables, step = generator.config, generator.variables, generator.step
  else:
    config, variables, step = FLAGS.config, None, None
    config_lib.validate(config)
  result = measure(config, variables, FLAGS.sets, FLAGS.out_size, FLAGS.tile,
                   FLAGS.tile_overlap, FLAGS.batch, FLAGS.steps, FLAGS.warmup, FLAGS.parts,
                   FLAGS.torch)
  env = bench.environment()
  env["device_kind"] = env.pop("device")
  result.update(env)
  result.update(workdir=FLAGS.workdir, checkpoint_step=step,
                config=(config_flags.get_config_filename(FLAGS["config"])
                        if FLAGS.config is not None else None),
                overrides=[a for a in sys.argv[1:] if a.startswith("--config.")])
  print(_summary(result))
  if FLAGS.json:
    with open(FLAGS.json, "w") as f:
      json.dump(result, f, indent=1)


if __name__ == "__main__":
  define_flags()
  cli.run(main)
