"""`python -m sr_jax.…` for tests, forked from a process that has already imported the stack.

A fresh interpreter spends ~4.5 s on this 2-core machine importing jax, flax, orbax, grain and
sr_jax before a command can print its first error line; the suite starts such commands dozens of
times. `Runner` keeps one multiprocessing fork server per test process that imports those
libraries once (`PRELOAD`), and runs each command in a child forked from it: the module runs as
`__main__` with the given argv, working directory and environment, writing to its own stdout and
stderr, and its exit status is the command's (`sys.exit("error: …")` → 1 with the message on
stderr, an uncaught exception → 1 with its traceback), in about 0.1 s.

What differs from a new interpreter: the preloaded libraries have read their import-time
environment variables from the test process, and the child ends with `os._exit`, so `atexit`
handlers do not run. Tests that depend on either (signals, training runs that save checkpoints,
the compilation cache's folder) keep a real `subprocess`.
"""
import multiprocessing
import os
import pathlib
import runpy
import subprocess
import sys
import tempfile

# Libraries only: a command module imported here would define its absl flags twice when it runs
# as __main__.
PRELOAD = ["numpy", "PIL.Image", "jax", "jax.numpy", "flax.linen", "optax", "orbax.checkpoint",
           "grain", "ml_collections", "sr_jax.cli", "sr_jax.inference", "sr_jax.train.trainer",
           "sr_jax.metrics.benchmark"]


def run_module(module: str, argv: list[str], cwd: str, env: dict, out: str, err: str) -> None:
  """In the forked child: `python -m module *argv` in cwd with env, stdout/stderr to files."""
  os.chdir(cwd)
  os.environ.clear()
  os.environ.update(env)
  for fd, path in ((1, out), (2, err)):
    os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
  sys.argv = [module, *argv]
  sys.path.insert(0, cwd)  # as `python -m` puts the working directory first
  runpy.run_module(module, run_name="__main__", alter_sys=True)


class Runner:
  """runner("sr_jax.zoo", "--models=x", env=..., cwd=...) → subprocess.CompletedProcess."""

  def __init__(self, default_cwd: pathlib.Path):
    self._cwd = default_cwd
    self._context = multiprocessing.get_context("forkserver")
    self._context.set_forkserver_preload(PRELOAD)

  def __call__(self, module: str, *argv: str, env: dict | None = None, cwd=None,
               timeout: float = 300) -> subprocess.CompletedProcess:
    args = [sys.executable, "-m", module, *argv]
    with tempfile.TemporaryDirectory() as tmp:
      out, err = f"{tmp}/stdout", f"{tmp}/stderr"
      child = self._context.Process(
          target=run_module,
          args=(module, list(argv), str(cwd or self._cwd), dict(os.environ if env is None else env),
                out, err))
      child.start()
      child.join(timeout)
      if child.exitcode is None:
        child.kill()
        child.join()
        raise subprocess.TimeoutExpired(args, timeout)
      read = lambda path: pathlib.Path(path).read_text() if os.path.exists(path) else ""
      return subprocess.CompletedProcess(args, child.exitcode, read(out), read(err))
