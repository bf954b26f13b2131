"""The model zoo as a table: parameters, GFLOPs at a 320×180 LR input, forward time.

  python -m sr_jax.zoo [--models=rcan,swinir] [--scales=2,3,4] [--json] [--time]

GFLOPs come from XLA's cost analysis of the compiled forward (a multiply-add counts as two
operations), so they need a compile but no parameters in memory. The forward time needs real
parameters and runs on the default backend, so it is only measured with --time.
"""
import json
import time
from typing import Any

from absl import flags
import jax
import jax.numpy as jnp
import numpy as np

from sr_jax import cli, models
from sr_jax.config import ConfigError
from sr_jax.bench import flops

_MODELS = flags.DEFINE_list("models", None, "Registered model names (default: all).")
_SCALES = flags.DEFINE_list("scales", ["2", "3", "4"], "Upscaling factors.")
_CHANNELS = flags.DEFINE_integer("channels", 3, "3 (RGB) or 1 (Y).")
_LR_SIZE = flags.DEFINE_list("lr_size", ["320", "180"], "LR input width,height for GFLOPs/time.")
_JSON = flags.DEFINE_bool("json", False, "Print one JSON object per line instead of a table.")
_TIME = flags.DEFINE_bool("time", False, "Measure the forward time (slow for large models on CPU).")
_REPEATS = flags.DEFINE_integer("repeats", 5, "Timed forwards after one warm-up run.")


def param_count(model) -> int:
  """Entries in the 'params' collection, from shapes only (nothing is allocated)."""
  x = jax.ShapeDtypeStruct((1, 16, 16, model.channels), jnp.float32)
  shapes = jax.eval_shape(model.init, jax.random.key(0), x)["params"]
  return sum(int(np.prod(s.shape)) for s in jax.tree.leaves(shapes))


def describe(name: str, scale: int, channels: int = 3, lr_hw=(180, 320), measure_time=False,
             repeats: int = 5) -> dict[str, Any]:
  """One row: params, GFLOPs of one forward at `lr_hw`, and optionally its time in ms."""
  model = models.build_model(name, scale=scale, channels=channels)
  x = jax.ShapeDtypeStruct((1, *lr_hw, channels), jnp.float32)
  variables = jax.eval_shape(model.init, jax.random.key(0), x)
  forward = jax.jit(model.apply)
  compiled = forward.lower(variables, x).compile()
  row = {"model": name, "scale": scale, "params": param_count(model),
         "gflops": (flops.xla_flops(compiled) or float("nan")) / 1e9, "time_ms": None}
  if measure_time:
    params = models.random_variables(model)
    lr = jax.random.uniform(jax.random.key(1), x.shape)
    jax.block_until_ready(compiled(params, lr))
    start = time.perf_counter()
    for _ in range(repeats):
      out = compiled(params, lr)
    jax.block_until_ready(out)
    row["time_ms"] = (time.perf_counter() - start) / repeats * 1e3
  return row


def _table(rows: list[dict[str, Any]]) -> str:
  width = max([12] + [len(r["model"]) for r in rows])
  lines = [f"{'model':<{width}} {'scale':>5} {'params':>12} {'GFLOPs':>10} {'time (ms)':>10}"]
  for r in rows:
    t = "-" if r["time_ms"] is None else f"{r['time_ms']:.1f}"
    lines.append(f"{r['model']:<{width}} {'x' + str(r['scale']):>5} {r['params']:>12,} "
                 f"{r['gflops']:>10.1f} {t:>10}")
  return "\n".join(lines)


def main(argv):
  del argv
  names = _MODELS.value or models.names()
  unknown = sorted(set(names) - set(models.names()))
  if unknown:
    raise ConfigError(f"--models: no model {', '.join(unknown)}; known: {', '.join(models.names())}")
  width, height = (int(v) for v in _LR_SIZE.value)
  rows = []
  for name in names:
    for scale in (int(s) for s in _SCALES.value):
      try:
        row = describe(name, scale, _CHANNELS.value, (height, width), _TIME.value, _REPEATS.value)
      except ValueError as e:  # a scale the model does not support
        row = {"model": name, "scale": scale, "error": str(e)}
      if _JSON.value:
        print(json.dumps(row), flush=True)
      else:
        rows.append(row)
  if not _JSON.value:
    ok = [r for r in rows if "error" not in r]
    print(_table(ok) + f"\n(LR input {width}x{height}, {jax.default_backend()} backend)")
    for r in rows:
      if "error" in r:
        print(f"{r['model']} x{r['scale']}: {r['error']}")


if __name__ == "__main__":
  cli.run(main)
