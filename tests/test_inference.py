"""sr_jax.inference is how tools load models: none of them imports the training loop."""
import subprocess
import sys

TOOLS = ("sr_jax.inference", "sr_jax.evaluate", "sr_jax.upscale", "sr_jax.export",
         "sr_jax.compare", "sr_jax.convert", "sr_jax.mos.prepare", "sr_jax.bench.inference",
         "sr_jax.zoo")

_PROBE = "import importlib, sys; importlib.import_module(sys.argv[1]); " \
         "print('sr_jax.train.trainer' in sys.modules)"


def test_no_tool_imports_the_trainer():
  # One fresh interpreter per tool (each defines its own absl flags), all at once.
  procs = {name: subprocess.Popen([sys.executable, "-c", _PROBE, name], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for name in TOOLS}
  outcome = {}
  for name, proc in procs.items():
    out, err = proc.communicate(timeout=300)
    outcome[name] = out.strip() if proc.returncode == 0 else f"failed: {err.strip()[-300:]}"
  assert outcome == {name: "False" for name in TOOLS}
