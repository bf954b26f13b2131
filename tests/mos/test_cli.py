"""python -m sr_jax.mos: usage errors are one line, before anything is read or written."""
import subprocess
import sys


def test_usage_errors_are_one_line(tmp_path):
  cases = {  # flags → the error line
      ("prepare", f"--hr_dir={tmp_path}", "--port=1"): "error: --port is not a flag of prepare",
      ("prepare", f"--hr_dir={tmp_path}"): "error: prepare needs --scale, --runs, --out",
  }  # two: each process imports JAX (through sr_jax.cli), seconds of CPU
  procs = {args: subprocess.Popen([sys.executable, "-m", "sr_jax.mos", *args],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
           for args in cases}  # at once: their imports overlap
  for args, expected in cases.items():
    stdout, stderr = procs[args].communicate(timeout=300)
    assert procs[args].returncode == 1 and not stdout, args
    assert stderr.strip().splitlines()[-1] == expected and "Traceback" not in stderr
  assert not list(tmp_path.iterdir())
