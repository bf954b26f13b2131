"""python -m sr_jax.export --workdir=W --out=DIR [--step=S] [--dtype=float32|bfloat16]
    [--platforms=cpu,cuda,tpu] [--tile=T [--tile_overlap=O]] [--saved_model]

Writes a run's generator (its EMA parameters when it has them) for serving without sr_jax:
DIR/model.jax_export, a serialized jax.export artifact (StableHLO) of (N, h, w, C) float32 in
[0, 1] → (N, h·s, w·s, C) float32 with symbolic batch, height and width and the parameters
baked in; DIR/manifest.json; DIR/run_exported.py, a runner needing only jax, numpy and Pillow
(sr_jax/tools/exported_runner.py, copied verbatim). Every built-in model traces with a
symbolic size (SwinIR's masks and window padding come from iotas and gathers, the bicubic
pre-upsampling of SRCNN/VDSR/the autoencoder from a gathered integer upscale). --tile=T exports
a fixed T×T LR tile instead (batch still symbolic) that the runner tiles: bounded memory for
large images, and the way out for a model that builds NumPy constants from the size, which
the export names in one line. --saved_model also writes DIR/saved_model, a TF SavedModel of the
same function (jax2tf). See docs/serving.md.
"""
import json
import pathlib
import shutil
import time

from absl import flags
import jax
import jax.numpy as jnp

from sr_jax import cli
from sr_jax import config as config_lib
from sr_jax import extras
from sr_jax.tools import exported_runner
from sr_jax import inference

FLAGS = flags.FLAGS
ARTIFACT = "model.jax_export"
PLATFORMS = ("cpu", "cuda", "rocm", "tpu")
_SYMBOLIC_FAILURES = (TypeError, ValueError, jax.errors.InconclusiveDimensionOperation)


def input_shape(channels: int, tile: int) -> str:
  """The exported input's shape as jax.export and jax2tf spell it."""
  return f"b, {tile}, {tile}, {channels}" if tile else f"b, h, w, {channels}"


def serving_fn(config, variables, dtype: str):
  """lr → SR with `variables` closed over: the artifact then holds its parameters and the
  runner needs no parameter files, pytree layout or Flax. Floating variables are stored in
  `dtype` (bfloat16 halves the artifact); the output is float32 whatever the compute dtype."""
  variables = inference.cast_floating(variables, dtype)  # cast now: stored in `dtype`
  predict = inference.inference_fn(config, dtype)
  return lambda lr: predict(variables, lr)


def export(config, variables, dtype="float32", platforms=("cpu",), tile=0):
  """The jax.export.Exported of a run's generator (see serving_fn), or ConfigError naming the
  model when it cannot be traced with a symbolic height and width."""
  unknown = sorted(set(platforms) - set(PLATFORMS))
  if unknown:
    raise config_lib.ConfigError(f"--platforms: unknown {', '.join(unknown)} "
                                 f"(known: {', '.join(PLATFORMS)})")
  spec = jax.ShapeDtypeStruct(jax.export.symbolic_shape(input_shape(config.channels, tile)),
                              jnp.float32)
  fn = jax.jit(serving_fn(config, variables, dtype))
  try:
    return jax.export.export(fn, platforms=tuple(platforms))(spec)
  except _SYMBOLIC_FAILURES as e:
    if tile:
      raise
    reason = str(e).strip().splitlines()[0]
    raise config_lib.ConfigError(
        f"model {config.model.name} cannot be exported with a symbolic height and width "
        f"({reason}); export a fixed LR tile instead, e.g. --tile=64") from e


def manifest(config, step: int, exported, dtype: str, tile: int, tile_overlap: int) -> dict:
  return {
      "artifact": ARTIFACT, "model": config.model.name, "scale": config.scale,
      "channels": config.channels, "step": step, "dtype": dtype,
      "input": {"layout": "NHWC", "dtype": "float32", "range": [0, 1],
                "shape": input_shape(config.channels, tile)},
      "size_multiple": 1,  # symbolic: any h, w ≥ 1; tiled: the runner pads and tiles
      "tile": tile, "tile_overlap": tile_overlap if tile else 0,
      "platforms": list(exported.platforms), "jax_version": jax.__version__,
      "calling_convention_version": exported.calling_convention_version,
  }


def require_tf():
  return extras.require("tensorflow", "savedmodel", "--saved_model (a TF SavedModel)")


def save_tf(fn, channels: int, tile: int, platforms, path: pathlib.Path):
  """A TF SavedModel of `fn` (serving signature: `lr`, float32 NHWC) with the same
  symbolic shape, by jax2tf's native serialization (the StableHLO in an XlaCallModule op)."""
  tf = require_tf()
  from jax.experimental import jax2tf  # pylint: disable=g-import-not-at-top

  converted = jax2tf.convert(fn, polymorphic_shapes=[f"({input_shape(channels, tile)})"],
                             native_serialization_platforms=tuple(platforms), with_gradient=False)
  module = tf.Module()
  side = tile or None
  module.serve = tf.function(
      converted, autograph=False,
      input_signature=[tf.TensorSpec([None, side, side, channels], tf.float32, name="lr")])
  tf.saved_model.save(module, str(path), signatures={"serving_default": module.serve})


def write(out: pathlib.Path, exported, info: dict):
  """DIR/model.jax_export, DIR/manifest.json and DIR/run_exported.py."""
  out.mkdir(parents=True, exist_ok=True)
  (out / ARTIFACT).write_bytes(exported.serialize())
  (out / "manifest.json").write_text(json.dumps(info, indent=1) + "\n")
  shutil.copyfile(exported_runner.__file__, out / "run_exported.py")


def define_flags():
  """The CLI's flags, defined only when run as a program: tests import the module beside
  others whose flags share these names (prepare's --out, evaluate's --workdir)."""
  flags.DEFINE_string("workdir", None, "The training run to export.")
  flags.DEFINE_string("out", None, "Folder to write the export to (created).")
  flags.DEFINE_integer("step", None, "Checkpoint step (default: latest).")
  flags.DEFINE_enum("dtype", "float32", list(config_lib.DTYPES),
                    "Compute and stored-parameter dtype; input and output stay float32.")
  flags.DEFINE_list("platforms", ["cpu", "cuda", "tpu"], "Platforms the artifact can run on.")
  flags.DEFINE_integer("tile", 0, "Export a fixed tile×tile LR input (0: symbolic height/width).")
  flags.DEFINE_integer("tile_overlap", 16, "With --tile: LR pixels the runner's tiles share.")
  flags.DEFINE_bool("saved_model", False, "Also write a TF SavedModel (jax2tf).")
  flags.register_multi_flags_validator(
      ["tile", "tile_overlap"], lambda f: not f["tile"] or 0 <= f["tile_overlap"] < f["tile"],
      "--tile_overlap must be in [0, --tile)")
  flags.mark_flags_as_required(["workdir", "out"])


def main(argv):
  del argv
  out = pathlib.Path(FLAGS.out)
  if FLAGS.saved_model:
    require_tf()  # before anything loads or compiles
  generator = inference.from_run(FLAGS.workdir, FLAGS.step)
  config, variables, step = generator.config, generator.variables, generator.step
  start = time.perf_counter()
  exported = export(config, variables, FLAGS.dtype, FLAGS.platforms, FLAGS.tile)
  write(out, exported, manifest(config, step, exported, FLAGS.dtype, FLAGS.tile,
                                FLAGS.tile_overlap))
  if FLAGS.saved_model:
    save_tf(serving_fn(config, variables, FLAGS.dtype), config.channels, FLAGS.tile,
            FLAGS.platforms, out / "saved_model")
  size = (out / ARTIFACT).stat().st_size
  print(f"{FLAGS.workdir}: step {step}, {config.model.name} x{config.scale} → {out / ARTIFACT} "
        f"({size / 2**10:,.0f} KiB, {', '.join(exported.platforms)}, input "
        f"{input_shape(config.channels, FLAGS.tile)}) in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
  define_flags()
  cli.run(main)
