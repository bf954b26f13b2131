"""sr_jax.host_malloc: on the CPU, each run of a compiled program reuses the last run's pages."""
import importlib.metadata
import os
import pathlib
import subprocess
import sys

from sr_jax import host_malloc

CPU = {"JAX_PLATFORMS": "cpu"}
ALL = {"M_ARENA_MAX": 1, "M_MMAP_MAX": 0, "M_TRIM_THRESHOLD": 2**31 - 1}

# A program with a 64 MiB temporary buffer (two reversed 32 MiB intermediates XLA cannot fuse
# away), run 40 times as `python -m sr_jax.main` starts (the package first, then the command's
# imports); prints the buffer's pages and the median minor page faults of the last 20 runs. With
# the settings, the first runs may still fault while the heap grows to hold a run's buffer next
# to the last one's (probably freed only after the result is ready), more so on a loaded machine.
_PROBE = """
import resource, statistics
import sr_jax.main
import jax, jax.numpy as jnp, numpy as np
x = jnp.asarray(np.random.default_rng(0).random((2048, 4096), np.float32))
f = jax.jit(lambda x: jnp.sum(jnp.tanh(x)[::-1] * jnp.exp(x)[:, ::-1] * x.sum(0))).lower(x).compile()
faults = []
for _ in range(40):
  before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
  f(x).block_until_ready()
  faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(f.memory_analysis().temp_size_in_bytes // 4096, statistics.median(faults[20:]))
"""


def _faults(**environ) -> tuple[int, float]:
  env = {**os.environ, "JAX_PLATFORMS": "cpu", **environ}
  out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True,
                       timeout=300, check=True).stdout.split()
  return int(out[-2]), float(out[-1])


def test_every_setting_the_environment_does_not_make():
  assert host_malloc.to_set(CPU) == ALL
  assert host_malloc.to_set({**CPU, "MALLOC_ARENA_MAX": "4"}) == {
      "M_MMAP_MAX": 0, "M_TRIM_THRESHOLD": 2**31 - 1}
  tunables = "glibc.malloc.mmap_max=8:glibc.malloc.trim_threshold=1"
  assert host_malloc.to_set({**CPU, "GLIBC_TUNABLES": tunables}) == {"M_ARENA_MAX": 1}


def test_only_where_jax_computes_on_the_cpu(monkeypatch):
  assert host_malloc.cpu_only({"JAX_PLATFORMS": "cpu"})
  assert not host_malloc.cpu_only({"JAX_PLATFORMS": "cuda"})
  assert not host_malloc.cpu_only({"JAX_PLATFORMS": "tpu,cpu"})
  assert host_malloc.to_set({"JAX_PLATFORMS": "cuda"}) == {}
  assert host_malloc.apply({"JAX_PLATFORMS": "cuda"}) == {}
  plugin = importlib.metadata.EntryPoint("cuda", "jax_cuda12_plugin", "jax_plugins")
  monkeypatch.setattr(importlib.metadata, "entry_points",
                      lambda group=None: [plugin] if group == "jax_plugins" else [])
  assert not host_malloc.cpu_only({})
  assert host_malloc.to_set({}) == {}


def test_importing_sr_jax_makes_each_run_reuse_its_buffer():
  pages, faults = _faults()
  assert pages == 64 * 2**20 // 4096
  assert faults < pages / 100
  # glibc's own defaults, set by the user (so kept): the buffer is mapped afresh each run, so
  # the check above can fail. Where the kernel backs new mappings with 2 MiB pages by itself,
  # there are far fewer faults to count.
  _, faults = _faults(MALLOC_ARENA_MAX="8", MALLOC_MMAP_MAX_="65536",
                      MALLOC_TRIM_THRESHOLD_="131072")
  thp = pathlib.Path("/sys/kernel/mm/transparent_hugepage/enabled")
  huge_pages = thp.exists() and "[always]" in thp.read_text()
  assert faults > (0 if huge_pages else pages / 2)
